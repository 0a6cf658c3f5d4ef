import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDatabase, createSecretBox, type Database } from '@uah/core';
import { createTestHub, type ApiResponse, type RequestOptions, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { signState } from '../../hub/src/connectors/oauth/state.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';
import { startOAuthEmulator, type OAuthEmulator } from './oauth-emulator.js';

const box = createSecretBox(randomBytes(32));
const logLines: string[] = [];
const answers: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});
const logger = pino({ level: 'trace' }, capture);

let emulator: OAuthEmulator;
let bodyEmulator: OAuthEmulator;
let folder: ConnectorFolder;
let platform: ConnectorPlatform;
let hub: TestHub;
let org: { id: string; apiKey: string };

/** Calls the hub (the answer checked against the OpenAPI document) and keeps every answer to search for tokens. */
async function call(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const res = await hub.request(method, path, options);
  answers.push(JSON.stringify(res.body), res.headers.get('location') ?? '');
  return res;
}

const ACTIONS = connectorSource({
  top: `const me = (ctx) => ctx.http({ baseUrl: ctx.config.baseUrl, retries: 0 }).get('/api/me');`,
  action: `
    if (input.mode === 'params') return await ctx.auth.authorizationParams();
    if (input.mode === 'leak') ctx.logger.info('the token is ' + (await ctx.auth.accessToken()), { token: await ctx.auth.accessToken() });
    return await me(ctx);`,
  sync: `await me(ctx); return { created: 0, updated: 0, skipped: 1, failed: 0 };`,
});

function oauthManifest(id: string, provider: OAuthEmulator, oauth2: Record<string, unknown>): Record<string, unknown> {
  return testManifest(id, {
    auth: { type: 'oauth2', oauth2: { authorizationUrl: `${provider.url}/authorize?tenant=acme`, tokenUrl: `${provider.url}/token`, scopes: ['accounting', 'offline_access'], ...oauth2 } },
    credentialsSchema: { type: 'object', properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' } }, required: ['clientId', 'clientSecret'] },
    configSchema: { type: 'object', properties: { baseUrl: { type: 'string' } }, required: ['baseUrl'] },
    allowedHosts: ['127.0.0.1'],
  });
}

const path = (connectorId: string, tail = ''): string => `/v1/organizations/${org.id}/integrations/${connectorId}${tail}`;

async function enable(connectorId: string, provider: OAuthEmulator, as = org): Promise<void> {
  const res = await call('PUT', `/v1/organizations/${as.id}/integrations/${connectorId}`, { token: as.apiKey, body: { credentials: { clientId: provider.client.id, clientSecret: provider.client.secret }, config: { baseUrl: provider.url } } });
  expect(res.status).toBe(200);
}

/** The hub's authorize URL, then the provider (which grants at once): the callback URL the browser comes back to. */
async function grant(connectorId: string, as = org): Promise<URL> {
  const started = await call('GET', `/v1/organizations/${as.id}/integrations/${connectorId}/oauth/authorize`, { token: as.apiKey, headers: { accept: 'application/json' } });
  expect(started.status).toBe(200);
  const atProvider = await fetch(started.body.authorizeUrl, { redirect: 'manual' });
  expect(atProvider.status).toBe(302);
  return new URL(atProvider.headers.get('location') ?? '');
}

const back = (callback: URL, headers: Record<string, string> = {}): Promise<ApiResponse> => call('GET', callback.pathname + callback.search, { token: null, headers });
const row = async (connectorId: string, organizationId = org.id): Promise<Record<string, unknown>> =>
  (await hub.db.knex.raw('SELECT row_to_json(i)::text AS j FROM integrations i WHERE organization_id = ? AND connector_id = ?', [organizationId, connectorId])).rows[0].j;

beforeAll(async () => {
  emulator = await startOAuthEmulator({ clientAuth: 'basic' });
  bodyEmulator = await startOAuthEmulator({ clientAuth: 'body' });
  folder = connectorFolder();
  folder.add('books-pkce', { manifest: oauthManifest('books-pkce', emulator, { pkce: true }), source: ACTIONS });
  folder.add('books-plain', { manifest: oauthManifest('books-plain', bodyEmulator, { clientAuth: 'body', scopeSeparator: ',', authorizationParams: { prompt: 'consent' } }), source: ACTIONS });
  folder.add('keyed', { manifest: testManifest('keyed') });
  platform = await createConnectorPlatform(
    { allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000, oauth: { publicUrl: () => hub.baseUrl } },
    { logger, secrets: box },
  );
  hub = await createTestHub({ logger, extraRoutes: (services, knex) => platform.routes(services, knex) });
  org = await hub.createOrganization('OAuth Ltd');
  await enable('books-pkce', emulator);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await hub?.close();
  folder?.remove();
  await emulator?.close();
  await bodyEmulator?.close();
});

describe('authorize', () => {
  it("redirects to the provider with the client, the callback, the scopes, a signed state and a PKCE S256 challenge", async () => {
    const res = await fetch(hub.baseUrl + path('books-pkce', '/oauth/authorize'), { headers: { authorization: `Bearer ${org.apiKey}` }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const to = new URL(res.headers.get('location') ?? '');
    expect(`${to.origin}${to.pathname}`).toBe(`${emulator.url}/authorize`);
    const q = to.searchParams;
    expect(Object.fromEntries([...q].filter(([k]) => !['state', 'code_challenge'].includes(k)))).toEqual({
      tenant: 'acme', response_type: 'code', client_id: emulator.client.id, redirect_uri: `${hub.baseUrl}/v1/oauth/callback`, scope: 'accounting offline_access', code_challenge_method: 'S256',
    });
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('answers JSON when asked, needs an admin key, and refuses a connector that does not use OAuth2', async () => {
    const json = await call('GET', path('books-pkce', '/oauth/authorize'), { token: org.apiKey, headers: { accept: 'application/json' } });
    expect(json.body).toMatchObject({ object: 'oauth_authorization', connectorId: 'books-pkce', redirectUri: `${hub.baseUrl}/v1/oauth/callback` });
    expect(Date.parse(json.body.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    const reader = await call('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { name: 'reader', scopes: ['read'] } });
    expect((await call('GET', path('books-pkce', '/oauth/authorize'), { token: reader.body.secret })).status).toBe(403);
    const keyed = await call('PUT', path('keyed'), { token: org.apiKey, body: { credentials: { apiKey: 'sk_keyed_012345' } } });
    expect(keyed.status).toBe(200);
    expect(keyed.body.authorization).toBeUndefined();
    const refused = await call('GET', path('keyed', '/oauth/authorize'), { token: org.apiKey, headers: { accept: 'application/json' } });
    expect([refused.status, refused.body.code]).toEqual([409, 'OAUTH_NOT_SUPPORTED']);
    expect((await call('GET', path('nope', '/oauth/authorize'), { token: org.apiKey })).status).toBe(404);
  });

  it('is in the OpenAPI document, with its redirect, as is the callback', () => {
    const paths = (hub.core.openapi() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security: unknown[] }>> }).paths;
    expect(Object.keys(paths['/v1/organizations/{orgId}/integrations/{connectorId}/oauth/authorize']?.['get']?.responses ?? {})).toEqual(expect.arrayContaining(['200', '302']));
    expect(paths['/v1/oauth/callback']?.['get']?.security).toEqual([]);
    expect(Object.keys(paths['/v1/oauth/callback']?.['get']?.responses ?? {})).toEqual(expect.arrayContaining(['200', '303', '400', '502']));
  });
});

describe('the callback', () => {
  it('exchanges the code with the PKCE verifier, seals the tokens, shows only a hint, and the connector calls the API with them', async () => {
    const before = await call('GET', path('books-pkce', '/status'), { token: org.apiKey });
    expect(before.body.authorization).toMatchObject({ type: 'oauth2', status: 'NOT_AUTHORIZED', accessTokenHint: null });
    const done = await back(await grant('books-pkce'));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ object: 'oauth_connection', organizationId: org.id, connectorId: 'books-pkce', authorization: { status: 'AUTHORIZED', scopes: ['accounting', 'offline_access'], hasRefreshToken: true } });
    const [access, refresh] = emulator.issued.slice(-2) as [string, string];
    expect(done.body.authorization.accessTokenHint).toBe(`••••${access.slice(-4)}`);
    expect(Date.parse(done.body.authorization.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const sealed = await row('books-pkce');
    expect(sealed).not.toContain(access);
    expect(sealed).not.toContain(refresh);
    expect(sealed).toContain('"oauth_sealed":"v1.');

    const status = await call('GET', path('books-pkce', '/status'), { token: org.apiKey });
    expect(status.body.authorization).toEqual(done.body.authorization);
    const action = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} });
    expect([action.status, action.body.result]).toEqual([200, { account: 'acct_emulated' }]);
    const [job] = (await call('POST', path('books-pkce', '/sync'), { token: org.apiKey, body: {} })).body.data;
    await platform.sync.runQueued();
    expect((await call('GET', path('books-pkce', `/sync-jobs/${job.id}`), { token: org.apiKey })).body).toMatchObject({ status: 'SUCCESS', counts: { skipped: 1 } });
  }, 30_000);

  it('answers a browser with a small page, and works with client credentials in the body, no PKCE and comma-joined scopes', async () => {
    await enable('books-plain', bodyEmulator);
    const callback = await grant('books-plain');
    expect(bodyEmulator.lastAuthorization?.get('scope')).toBe('accounting,offline_access');
    expect(bodyEmulator.lastAuthorization?.get('prompt')).toBe('consent');
    expect(bodyEmulator.lastAuthorization?.has('code_challenge')).toBe(false);
    const page = await back(callback, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('books-plain is connected');
    expect((await call('POST', path('books-plain', '/actions/echo'), { token: org.apiKey, body: {} })).body.result).toEqual({ account: 'acct_emulated' });
  }, 30_000);

  it('refuses a tampered, an expired and a reused state with 400, storing nothing', async () => {
    const other = await hub.createOrganization('Other Ltd');
    await enable('books-pkce', emulator, other);
    const exchanges = emulator.tokenRequests.authorization_code;
    const callback = await grant('books-pkce', other);
    const state = callback.searchParams.get('state') ?? '';
    const [payload, mac] = state.split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${Buffer.from(JSON.stringify({ ...forged, o: org.id })).toString('base64url')}.${mac}`);
    expect((await back(tampered)).body).toMatchObject({ status: 400, code: 'OAUTH_STATE_INVALID' });
    const expired = new URL(callback);
    expired.searchParams.set('state', signState(box, { organizationId: other.id, connectorId: 'books-pkce', version: '1.0.0', nonce: String(forged['n']), expiresAt: Math.floor(Date.now() / 1000) - 1 }));
    expect((await back(expired)).body).toMatchObject({ status: 400, code: 'OAUTH_STATE_EXPIRED' });
    // Signed and in time, but its row is older than the hub allows.
    await hub.db.knex('oauth_states').where({ nonce: forged['n'] }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await back(callback)).body).toMatchObject({ status: 400, code: 'OAUTH_STATE_EXPIRED' });
    expect((await back(callback)).body).toMatchObject({ status: 400, code: 'OAUTH_STATE_USED' });
    expect(emulator.tokenRequests.authorization_code).toBe(exchanges);
    expect(await row('books-pkce', other.id)).toContain('"oauth_sealed":null');

    const good = await grant('books-pkce', other);
    expect((await back(good)).status).toBe(200);
    const stored = await row('books-pkce', other.id);
    const reused = await back(good);
    expect([reused.status, reused.body.code]).toEqual([400, 'OAUTH_STATE_USED']);
    expect(emulator.tokenRequests.authorization_code).toBe(exchanges + 1);
    expect(await row('books-pkce', other.id)).toBe(stored);
  }, 30_000);

  it("answers the provider's refusals as provider problems: a PKCE verifier that does not match, and access_denied", async () => {
    const third = await hub.createOrganization('Third Ltd');
    await enable('books-pkce', emulator, third);
    const callback = await grant('books-pkce', third);
    // The verifier the hub keeps is replaced: the emulator must refuse the code.
    await hub.db.knex('oauth_states').where({ organization_id: third.id }).update({ verifier_sealed: box.seal('x'.repeat(43)) });
    const refused = await back(callback);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ code: 'PROVIDER_ERROR', source: 'provider', providerStatus: 400, retryable: false, detail: expect.stringContaining('PKCE verification failed') });
    expect(await row('books-pkce', third.id)).toContain('"oauth_sealed":null');

    const denied = new URL(await grant('books-pkce', third));
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    const answer = await back(denied);
    expect([answer.status, answer.body.source, answer.body.retryable]).toEqual([502, 'provider', false]);
    expect(answer.body.detail).toContain('access_denied');
    expect((await call('GET', `/v1/organizations/${third.id}/integrations/books-pkce/status`, { token: third.apiKey })).body.authorization.status).toBe('NOT_AUTHORIZED');
  }, 30_000);
});

describe('refreshing the access token', () => {
  let dbB: Database;
  let platformB: ConnectorPlatform;

  beforeAll(async () => {
    // Another hub process: its own platform, workers and connection pool, on the same database.
    dbB = await createDatabase({ url: hub.db.url, poolMax: 4 });
    platformB = await createConnectorPlatform({ allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000, oauth: { publicUrl: () => hub.baseUrl } }, { logger, secrets: box });
    platformB.routes(hub.core.services, dbB.knex);
  }, 60_000);
  afterAll(async () => {
    await platformB?.stop();
    await dbB?.close();
  });

  const expireSoon = (organizationId = org.id): Promise<unknown> => hub.db.knex('integrations').where({ organization_id: organizationId, connector_id: 'books-pkce' }).update({ oauth_expires_at: new Date(Date.now() + 30_000) });

  it('refreshes once when two hub processes need the token at the same time; both use the new one', async () => {
    const current = emulator.issued.at(-2);
    const refreshes = emulator.tokenRequests.refresh_token;
    await expireSoon();
    emulator.tokenDelayMs = 300;
    const asked = await Promise.all([
      ...[1, 2, 3].map(() => platform.oauth.accessToken(org.id, 'books-pkce')),
      ...[1, 2, 3].map(() => platformB.oauth.accessToken(org.id, 'books-pkce')),
      platform.integrations.runAction(org.id, 'books-pkce', 'echo', {}),
      platformB.integrations.runAction(org.id, 'books-pkce', 'echo', {}),
    ]);
    emulator.tokenDelayMs = 0;
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 1);
    const tokens = new Set(asked.slice(0, 6).map((t) => (t as { accessToken: string }).accessToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(current);
    expect([...tokens][0]).toBe(emulator.issued.at(-2));
    expect(asked.slice(6)).toEqual([{ account: 'acct_emulated' }, { account: 'acct_emulated' }]);
    const status = (await call('GET', path('books-pkce', '/status'), { token: org.apiKey })).body.authorization;
    expect(status).toMatchObject({ status: 'AUTHORIZED', refreshedAt: expect.any(String) });
    expect(Date.parse(status.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
  }, 60_000);

  it('marks the integration for re-authorization when the provider refuses the refresh token, and stops asking', async () => {
    emulator.revokeRefreshTokens();
    await expireSoon();
    const refreshes = emulator.tokenRequests.refresh_token;
    const first = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} });
    expect([first.status, first.body.code]).toEqual([409, 'OAUTH_AUTHORIZATION_REQUIRED']);
    const second = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} });
    expect(second.status).toBe(409);
    await expect(platformB.oauth.accessToken(org.id, 'books-pkce')).rejects.toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 1);
    const status = await call('GET', path('books-pkce', '/status'), { token: org.apiKey });
    expect(status.body.authorization.status).toBe('REAUTHORIZATION_REQUIRED');
    expect(status.body.errorCount).toBeGreaterThan(0);

    expect((await back(await grant('books-pkce'))).body.authorization.status).toBe('AUTHORIZED');
    expect((await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} })).body.result).toEqual({ account: 'acct_emulated' });
  }, 60_000);
});

describe('what the provider adds, a refused token, and scheduling', () => {
  it("keeps the parameters the provider adds to the callback (QuickBooks' realmId) for the connector, and never shows them", async () => {
    const callback = await grant('books-pkce');
    callback.searchParams.set('realmId', '9130347596627126');
    const done = await back(callback);
    expect(done.status).toBe(200);
    expect(JSON.stringify(done.body)).not.toContain('9130347596627126');
    expect(await row('books-pkce')).not.toContain('9130347596627126');
    const params = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: { mode: 'params' } });
    expect([params.status, params.body.result]).toEqual([200, { realmId: '9130347596627126' }]);
    // A refresh keeps them.
    await hub.db.knex('integrations').where({ organization_id: org.id, connector_id: 'books-pkce' }).update({ oauth_expires_at: new Date(Date.now() + 30_000) });
    const refreshes = emulator.tokenRequests.refresh_token;
    expect((await platform.oauth.accessToken(org.id, 'books-pkce')).params).toEqual({ realmId: '9130347596627126' });
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 1);
  }, 30_000);

  it('refreshes a token the provider refuses (401) before its expiry once, and sends the request again', async () => {
    emulator.revokeAccessTokens();
    const refreshes = emulator.tokenRequests.refresh_token;
    const res = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} });
    expect([res.status, res.body.result]).toEqual([200, { account: 'acct_emulated' }]);
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 1);
    // A token refused again after the refresh fails the request: one refresh, one retry.
    emulator.accessTokenTtl = 0;
    emulator.revokeAccessTokens();
    const again = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: {} });
    emulator.accessTokenTtl = 3600;
    expect(again.status).toBe(502);
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 2);
    // Naming a token that is not the stored one (already replaced) refreshes nothing.
    expect(await platform.oauth.accessToken(org.id, 'books-pkce', { rejected: 'at_not_the_stored_one' })).toMatchObject({ accessToken: emulator.issued.at(-2) });
    expect(emulator.tokenRequests.refresh_token).toBe(refreshes + 2);
  }, 30_000);

  it('schedules no sync for an oauth2 integration until it is authorized', async () => {
    const waiting = await hub.createOrganization('Waiting Ltd');
    await enable('books-pkce', emulator, waiting);
    const jobsOf = async (): Promise<number> => Number((await hub.db.knex('sync_jobs').where({ organization_id: waiting.id }).count<Array<{ count: string }>>({ count: '*' }).first())?.count);
    await platform.sync.scheduleDue(new Date(Date.now() + 365 * 86_400_000));
    expect(await jobsOf()).toBe(0);
    expect((await back(await grant('books-pkce', waiting))).status).toBe(200);
    await platform.sync.scheduleDue(new Date(Date.now() + 365 * 86_400_000));
    expect(await jobsOf()).toBe(1);
  }, 30_000);
});

describe('secrecy', () => {
  it('scrubs a token the connector logs', async () => {
    const res = await call('POST', path('books-pkce', '/actions/echo'), { token: org.apiKey, body: { mode: 'leak' } });
    expect(res.status).toBe(200);
    expect(logLines.some((l) => l.includes('the token is [redacted]'))).toBe(true);
  });

  it('never shows a token in a response or a log line', () => {
    expect(emulator.issued.length).toBeGreaterThan(4);
    expect(answers.length).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(20);
    const everything = [...answers, ...logLines].join('\n');
    for (const secret of [...emulator.issued, ...bodyEmulator.issued, emulator.client.secret]) expect(everything).not.toContain(secret);
  });
});
