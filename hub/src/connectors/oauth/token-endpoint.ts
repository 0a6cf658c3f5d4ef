import { createHttpClient, HttpError, type ConnectorManifest } from '@uah/connector-sdk';

export type OAuth2Settings = NonNullable<ConnectorManifest['auth']['oauth2']>;

/** The organization's OAuth client, from its integration credentials. */
export interface OAuthClient {
  clientId: string;
  clientSecret?: string | undefined;
}

/** What the token endpoint gave. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string | undefined;
  expiresAt: Date | null;
  /** Granted scopes, when the provider said. */
  scopes: string[] | undefined;
}

export type TokenGrant = { grant_type: 'authorization_code'; code: string; redirect_uri: string; code_verifier?: string | undefined } | { grant_type: 'refresh_token'; refresh_token: string };

/**
 * The token endpoint did not give tokens: `invalid_grant` (the code or refresh token is refused: a new
 * authorization is needed), `refused` (another 4xx, or an answer without an access token), or `failed`
 * (429, 5xx, timeout, network: a retry may help). The message never holds a token.
 */
export class TokenEndpointError extends Error {
  override readonly name = 'TokenEndpointError';
  constructor(
    readonly kind: 'invalid_grant' | 'refused' | 'failed',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants the client id and secret before Basic. */
const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

function clientAuthentication(settings: OAuth2Settings, client: OAuthClient): { headers: Record<string, string>; form: Record<string, string> } {
  if (!client.clientSecret) return { headers: {}, form: { client_id: client.clientId } };
  if (settings.clientAuth === 'body') return { headers: {}, form: { client_id: client.clientId, client_secret: client.clientSecret } };
  return { headers: { authorization: `Basic ${Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`).toString('base64')}` }, form: {} };
}

/** The provider's own words about a refusal (`error`, `error_description`), never the rest of its body. */
function refusalOf(body: unknown): { error?: string; description?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as { error?: unknown; error_description?: unknown };
  return { ...(typeof b.error === 'string' ? { error: b.error.slice(0, 100) } : {}), ...(typeof b.error_description === 'string' ? { description: b.error_description.slice(0, 500) } : {}) };
}

function toEndpointError(error: unknown): TokenEndpointError {
  if (!(error instanceof HttpError)) return new TokenEndpointError('failed', `the token endpoint could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  if (error.code !== 'HTTP_STATUS' || error.status === undefined) return new TokenEndpointError(error.code === 'HOST_NOT_ALLOWED' ? 'refused' : 'failed', error.message);
  const { error: code, description } = refusalOf(error.body);
  const said = code ? `${code}${description ? `: ${description}` : ''}` : `status ${error.status}`;
  const message = `the token endpoint answered ${error.status} (${said})`;
  if (code === 'invalid_grant') return new TokenEndpointError('invalid_grant', message, error.status);
  return new TokenEndpointError(error.status === 429 || error.status >= 500 ? 'failed' : 'refused', message, error.status);
}

function parseTokens(data: unknown, now: number, separator: string): TokenSet {
  const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  if (typeof d['access_token'] !== 'string' || d['access_token'].length === 0) throw new TokenEndpointError('refused', 'the token endpoint answered without an access_token');
  if (typeof d['token_type'] === 'string' && d['token_type'].toLowerCase() !== 'bearer') throw new TokenEndpointError('refused', `the token endpoint gave a ${d['token_type'].slice(0, 40)} token; only bearer tokens are supported`);
  const expiresIn = Number(d['expires_in']);
  const scope = typeof d['scope'] === 'string' ? d['scope'] : undefined;
  return {
    accessToken: d['access_token'],
    refreshToken: typeof d['refresh_token'] === 'string' && d['refresh_token'].length > 0 ? d['refresh_token'] : undefined,
    expiresAt: d['expires_in'] !== undefined && Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(now + expiresIn * 1000) : null,
    scopes: scope === undefined ? undefined : scope.split(separator === ',' ? /[,\s]+/ : /\s+/).filter(Boolean),
  };
}

/**
 * One request to the provider's token endpoint (RFC 6749 §4.1.3 and §6), through the SDK's HTTP client:
 * the manifest's `allowedHosts` and the hub's address policy apply, and it is sent once (a code or a
 * rotated refresh token cannot be spent twice).
 */
export async function requestTokens(input: { settings: OAuth2Settings; allowedHosts: readonly string[]; allowPrivate: boolean; client: OAuthClient; grant: TokenGrant; timeoutMs?: number }): Promise<TokenSet> {
  const { settings, client, grant } = input;
  const auth = clientAuthentication(settings, client);
  const http = createHttpClient({ baseUrl: settings.tokenUrl, allowedHosts: input.allowedHosts, urlPolicy: { allowPrivate: input.allowPrivate }, retries: 0, timeoutMs: input.timeoutMs ?? 20_000 });
  const started = Date.now();
  let data: unknown;
  try {
    data = (await http.request('POST', '', { form: { ...grant, ...auth.form }, headers: auth.headers, responseType: 'json' })).data;
  } catch (error) {
    throw toEndpointError(error);
  }
  return parseTokens(data, started, settings.scopeSeparator ?? ' ');
}
