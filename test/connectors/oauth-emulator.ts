import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OAuth 2.0 authorization server and resource API on 127.0.0.1, as a provider would run them:
 * the authorization-code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636), the refresh_token grant with
 * rotation (§6), client authentication by HTTP Basic or form body (§2.3.1), and `GET /api/me` that wants
 * a live bearer token. It counts token requests by grant.
 */
export interface OAuthEmulator {
  url: string;
  client: { id: string; secret: string };
  /** Token requests received, by grant type (refused ones included). */
  tokenRequests: Record<'authorization_code' | 'refresh_token', number>;
  /** How long access tokens live (seconds). */
  accessTokenTtl: number;
  /** Delay before the token endpoint answers (to make concurrent refreshes overlap). */
  tokenDelayMs: number;
  /** Every access and refresh token ever issued (to look for them where they must not be). */
  issued: string[];
  /** What the authorization endpoint was asked, last. */
  lastAuthorization: URLSearchParams | undefined;
  /** Forgets every refresh token (the user revoked the app at the provider). */
  revokeRefreshTokens(): void;
  /** Forgets every access token before its expiry (rotated keys): the API answers 401 until a refresh. */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

interface PendingCode {
  redirectUri: string;
  challenge: string | undefined;
  scope: string;
}

const json = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
const token = (prefix: string): string => `${prefix}_${randomBytes(18).toString('base64url')}`;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOAuthEmulator(options: { clientAuth: 'basic' | 'body' }): Promise<OAuthEmulator> {
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, string>();
  const accessTokens = new Map<string, number>();
  const emulator: Omit<OAuthEmulator, 'url' | 'close'> = {
    client: { id: 'client_emulated', secret: 'cs_emulated_0123456789abcdef' },
    tokenRequests: { authorization_code: 0, refresh_token: 0 },
    accessTokenTtl: 3600,
    tokenDelayMs: 0,
    issued: [],
    lastAuthorization: undefined,
    revokeRefreshTokens: () => refreshTokens.clear(),
    revokeAccessTokens: () => accessTokens.clear(),
  };

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    emulator.lastAuthorization = q;
    const redirectUri = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== emulator.client.id || !redirectUri) return json(res, 400, { error: 'invalid_request' });
    const back = new URL(redirectUri);
    back.searchParams.set('state', q.get('state') ?? '');
    if (q.get('response_type') !== 'code') back.searchParams.set('error', 'unsupported_response_type');
    else if (q.get('code_challenge') && q.get('code_challenge_method') !== 'S256') back.searchParams.set('error', 'invalid_request');
    else {
      const code = token('code');
      codes.set(code, { redirectUri, challenge: q.get('code_challenge') ?? undefined, scope: q.get('scope') ?? '' });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.href }).end();
  }

  /** RFC 6749 §2.3.1: Basic with the form-encoded id and secret, or both in the body. */
  function clientOf(req: IncomingMessage, form: URLSearchParams): { id: string | null; secret: string | null } {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1] ?? '', 'base64').toString('utf8').split(':').map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
      return { id: id ?? null, secret: secret ?? null };
    }
    return { id: form.get('client_id'), secret: form.get('client_secret') };
  }

  function issue(res: ServerResponse, scope: string): void {
    const access = token('at');
    const refresh = token('rt');
    accessTokens.set(access, Date.now() + emulator.accessTokenTtl * 1000);
    refreshTokens.set(refresh, scope);
    emulator.issued.push(access, refresh);
    json(res, 200, { access_token: access, token_type: 'bearer', expires_in: emulator.accessTokenTtl, refresh_token: refresh, scope });
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' || grant === 'refresh_token') emulator.tokenRequests[grant] += 1;
    await new Promise((r) => setTimeout(r, emulator.tokenDelayMs));
    const client = clientOf(req, form);
    const usedBasic = req.headers.authorization !== undefined;
    if (client.id !== emulator.client.id || client.secret !== emulator.client.secret || usedBasic !== (options.clientAuth === 'basic')) return json(res, 401, { error: 'invalid_client' });
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!code || code.redirectUri !== form.get('redirect_uri')) return json(res, 400, { error: 'invalid_grant', error_description: 'unknown code or redirect_uri mismatch' });
      if (code.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      return issue(res, code.scope);
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const scope = refreshTokens.get(presented);
      // Rotation: a refresh token works once.
      refreshTokens.delete(presented);
      if (scope === undefined) return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token revoked or used' });
      return issue(res, scope);
    }
    json(res, 400, { error: 'unsupported_grant_type' });
  }

  function api(req: IncomingMessage, res: ServerResponse): void {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const until = accessTokens.get(bearer);
    if (until === undefined || until <= Date.now()) return json(res, 401, { error: 'invalid_token' });
    json(res, 200, { account: 'acct_emulated' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/token') return void tokenEndpoint(req, res).catch(() => json(res, 500, { error: 'server_error' }));
    if (req.method === 'GET' && url.pathname === '/api/me') return api(req, res);
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(emulator, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
