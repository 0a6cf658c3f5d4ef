import type { ManifestAuth } from '@uah/schemas';
import type { HttpClientOptions } from './http/client.js';

/**
 * A provider access token as the hub hands it to a connector: valid for at least the hub's margin
 * (a minute) when it is given, and refreshed by the hub, never by the connector.
 *
 * @example
 * ```ts
 * const token: AccessToken = { accessToken: 'ya29.a0…', tokenType: 'Bearer', expiresAt: '2026-01-31T10:30:00.000Z', scopes: ['accounting'] };
 * ```
 */
export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** ISO 8601, or null when the provider did not say. */
  expiresAt: string | null;
  scopes: string[];
  /**
   * What the provider added to the authorization callback besides `code` and `state` (QuickBooks'
   * `realmId`), kept with the authorization.
   */
  params?: Record<string, string>;
}

/**
 * What a connector may tell its token source: the token the provider has just refused (401), so the
 * source refreshes it even though it has not expired yet.
 *
 * @example
 * ```ts
 * const ask: TokenRequest = { rejected: 'at_1' };
 * ```
 */
export interface TokenRequest {
  rejected?: string;
}

/**
 * Why no access token could be given:
 * - `NOT_AUTHORIZED`: the organization has not run the authorization yet;
 * - `REAUTHORIZATION_REQUIRED`: the provider refused the refresh token (revoked, expired): the
 *   organization must authorize again; the hub does not retry;
 * - `TOKEN_ENDPOINT_FAILED`: the provider's token endpoint failed (5xx, timeout, network); a retry may help;
 * - `TOKEN_ENDPOINT_REFUSED`: the token endpoint refused the hub's request otherwise (e.g. a wrong client secret);
 * - `NOT_OAUTH2`: the connector's manifest does not declare `auth.type: oauth2`.
 *
 * @example
 * ```ts
 * const code: AuthorizationErrorCode = 'REAUTHORIZATION_REQUIRED';
 * ```
 */
export type AuthorizationErrorCode = 'NOT_AUTHORIZED' | 'REAUTHORIZATION_REQUIRED' | 'TOKEN_ENDPOINT_FAILED' | 'TOKEN_ENDPOINT_REFUSED' | 'NOT_OAUTH2';

/**
 * Thrown by `ctx.auth.accessToken()` (and so by an oauth2 connector's HTTP client) when there is no
 * token to give. Let it propagate: the hub reports it on the integration and to the API caller.
 *
 * @example
 * ```ts
 * try {
 *   await ctx.auth.accessToken();
 * } catch (error) {
 *   if (error instanceof AuthorizationError && error.code === 'REAUTHORIZATION_REQUIRED') ctx.logger.warn('the organization must authorize again');
 *   throw error;
 * }
 * ```
 */
export class AuthorizationError extends Error {
  override readonly name = 'AuthorizationError';
  constructor(
    readonly code: AuthorizationErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** Whether trying again later may help (the provider's token endpoint failed). */
  get retryable(): boolean {
    return this.code === 'TOKEN_ENDPOINT_FAILED';
  }
}

/**
 * The integration's authorization with the provider, as `ctx.auth`. For an oauth2 connector,
 * `accessToken()` gives a token that is valid now: the hub refreshes it shortly before it expires (one
 * hub process refreshes, the others reuse the new token). The SDK's HTTP client (`ctx.http`) already
 * sends it as `Authorization: Bearer …` unless you set that header yourself.
 *
 * @example
 * ```ts
 * const token = await ctx.auth.accessToken();
 * const socket = new WebSocket(`wss://stream.acme.test/?access_token=${encodeURIComponent(token)}`);
 * ```
 */
export interface ConnectorAuth {
  /** The manifest's `auth.type`. */
  readonly type: ManifestAuth['type'];
  /** A valid access token (oauth2 connectors); rejects with an {@link AuthorizationError} otherwise. */
  accessToken(): Promise<string>;
  /**
   * A new access token after the provider refused `rejected` (a 401 before its expiry: revoked, rotated):
   * the hub refreshes it once, however many requests were refused with it. The SDK's HTTP client calls
   * this itself and retries the request once.
   */
  refresh(rejected: string): Promise<string>;
  /**
   * What the provider added to the authorization callback (QuickBooks' `realmId`, the company the
   * organization chose); empty when it added nothing.
   *
   * @example
   * ```ts
   * const { realmId } = await ctx.auth.authorizationParams();
   * ```
   */
  authorizationParams(): Promise<Readonly<Record<string, string>>>;
}

/** A token within this long of its expiry is not reused (the hub refreshes it). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

/**
 * A {@link ConnectorAuth} over a source of tokens (the hub's, or a test's), keeping the token for as long
 * as it stays valid past the margin, so a sync's thousand requests ask once.
 *
 * @example
 * ```ts
 * const auth = createConnectorAuth('oauth2', async () => ({ accessToken: 'at_1', tokenType: 'Bearer', expiresAt: null, scopes: [] }));
 * await auth.accessToken(); // 'at_1'
 * ```
 */
export function createConnectorAuth(type: ManifestAuth['type'], source?: (request?: TokenRequest) => Promise<AccessToken>, now: () => number = Date.now): ConnectorAuth {
  let held: { token: string; until: number; params: Record<string, string> } | undefined;
  let asking: Promise<string> | undefined;
  const ask = async (request?: TokenRequest): Promise<string> => {
    if (!source) throw type === 'oauth2' ? new AuthorizationError('NOT_AUTHORIZED', 'no access token has been given') : new AuthorizationError('NOT_OAUTH2', `this connector authorizes with ${type}, not oauth2: use its credentials`);
    const given = await source(request);
    held = { token: given.accessToken, until: given.expiresAt ? Date.parse(given.expiresAt) - TOKEN_REFRESH_MARGIN_MS : Number.POSITIVE_INFINITY, params: given.params ?? {} };
    return given.accessToken;
  };
  const accessToken = (): Promise<string> => {
    if (held && held.until > now()) return Promise.resolve(held.token);
    asking ??= ask().finally(() => (asking = undefined));
    return asking;
  };
  return {
    type,
    accessToken,
    refresh(rejected) {
      // Requests refused together share one refresh; a token already replaced is not refreshed again.
      if (held && held.token !== rejected && held.until > now()) return Promise.resolve(held.token);
      if (asking) return asking;
      held = undefined;
      asking = ask({ rejected }).finally(() => (asking = undefined));
      return asking;
    },
    async authorizationParams() {
      await accessToken();
      return Object.freeze({ ...(held?.params ?? {}) });
    },
  };
}

/**
 * Client options that send `Authorization: Bearer <token>` on every attempt (a retry after a refresh
 * gets the new token), and that refresh the token once when the provider answers 401 (then the request
 * is sent once more). Headers the connector gives win, so a provider that wants another scheme keeps it;
 * when they include `Authorization`, no token is asked for (the integration may not be authorized at all).
 *
 * @example
 * ```ts
 * const client = createHttpClient(withBearer({ baseUrl: 'https://api.acme.test' }, ctx.auth));
 * ```
 */
export function withBearer(options: HttpClientOptions, auth: Pick<ConnectorAuth, 'accessToken' | 'refresh'>): HttpClientOptions {
  const own = options.headers;
  let sent: string | undefined;
  return {
    ...options,
    headers: async () => {
      const given = typeof own === 'function' ? await own() : (own ?? {});
      // A connector that authorizes itself (a personal access token instead of the OAuth2 grant) needs no token from the hub.
      if (Object.keys(given).some((name) => name.toLowerCase() === 'authorization')) {
        sent = undefined;
        return given;
      }
      sent = await auth.accessToken();
      return { authorization: `Bearer ${sent}`, ...given };
    },
    onUnauthorized: async () => {
      if (sent === undefined) return false;
      await auth.refresh(sent);
      return true;
    },
  };
}
