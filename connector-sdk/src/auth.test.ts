import { describe, expect, it } from 'vitest';
import { AuthorizationError, createConnectorAuth, withBearer, type AccessToken } from './auth.js';
import { defineConnector } from './define.js';
import { createHttpClient } from './http/client.js';
import { createTestContext } from './testing/contract.js';
import { goodManifest } from './testing/fixtures.js';

const token = (accessToken: string, expiresAt: string | null): AccessToken => ({ accessToken, tokenType: 'Bearer', expiresAt, scopes: [] });

describe('createConnectorAuth', () => {
  it('keeps a token while it is valid past the margin, and asks again (once) near its expiry', async () => {
    let now = Date.parse('2026-01-31T09:00:00Z');
    let asked = 0;
    const auth = createConnectorAuth('oauth2', async () => token(`at_${++asked}`, '2026-01-31T10:00:00Z'), () => now);
    expect(await Promise.all([auth.accessToken(), auth.accessToken()])).toEqual(['at_1', 'at_1']);
    now = Date.parse('2026-01-31T09:58:59Z');
    expect(await auth.accessToken()).toBe('at_1');
    now = Date.parse('2026-01-31T09:59:30Z');
    expect(await auth.accessToken()).toBe('at_2');
    expect(asked).toBe(2);
  });

  it('refuses with an AuthorizationError for a connector that is not oauth2, or has no token', async () => {
    await expect(createConnectorAuth('api_key').accessToken()).rejects.toMatchObject({ name: 'AuthorizationError', code: 'NOT_OAUTH2' });
    await expect(createConnectorAuth('oauth2').accessToken()).rejects.toBeInstanceOf(AuthorizationError);
    expect(new AuthorizationError('TOKEN_ENDPOINT_FAILED', 'x').retryable).toBe(true);
    expect(new AuthorizationError('REAUTHORIZATION_REQUIRED', 'x').retryable).toBe(false);
  });
});

describe('withBearer', () => {
  it('sends the token on each attempt, unless the connector sets Authorization itself', async () => {
    const seen: Array<string | null> = [];
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const auth = createConnectorAuth('oauth2', async () => token('at_1', null));
    const client = createHttpClient(withBearer({ baseUrl: 'https://api.acme.test', headers: { 'x-extra': '1' }, fetch }, auth));
    await client.get('/a');
    await client.get('/b', { headers: { Authorization: 'Token other' } });
    const own = createHttpClient(withBearer({ baseUrl: 'https://api.acme.test', headers: () => ({ Authorization: 'Basic abc' }), fetch }, auth));
    await own.get('/c');
    expect(seen).toEqual(['Bearer at_1', 'Token other', 'Basic abc']);
  });

  it('asks for no token when the connector authorizes itself, so an integration never authorized still works', async () => {
    const seen: Array<string | null> = [];
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const unauthorized = createConnectorAuth('oauth2', undefined);
    await createHttpClient(withBearer({ baseUrl: 'https://api.acme.test', headers: { Authorization: 'Bearer pat_1' }, fetch }, unauthorized)).get('/a');
    expect(seen).toEqual(['Bearer pat_1']);
    const error = await createHttpClient(withBearer({ baseUrl: 'https://api.acme.test', fetch }, unauthorized)).get('/b').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_AUTHORIZED' });
  });
});

describe('the contract kit for an oauth2 connector', () => {
  it("gives ctx.auth the test's token", async () => {
    const none = async () => ({ created: 0, updated: 0, skipped: 0, failed: 0 });
    const connector = defineConnector({
      manifest: goodManifest(),
      onEvent: async () => {},
      sync: { invoice: none, payment: none },
      actions: { 'resend-invoice': async () => null },
      verifyWebhook: () => true,
      handleWebhook: async () => undefined,
    });
    const test = createTestContext(connector, { credentials: { clientId: 'c', clientSecret: 's' }, accessToken: 'at_test_token' });
    expect(test.ctx.auth.type).toBe('oauth2');
    expect(await test.ctx.auth.accessToken()).toBe('at_test_token');
    await expect(createTestContext(connector, { credentials: {} }).ctx.auth.accessToken()).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
  });
});

describe('a token the provider refuses', () => {
  it('is refreshed once for the requests refused together, and each is sent once more; a second 401 fails', async () => {
    const asks: Array<string | undefined> = [];
    let n = 0;
    const auth = createConnectorAuth('oauth2', async (request) => {
      asks.push(request?.rejected);
      return { ...token(`at_${++n}`, null), params: { realmId: '123' } };
    });
    let valid = 'at_2';
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      const sent = new Headers(init?.headers).get('authorization');
      return sent === `Bearer ${valid}` ? new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } }) : new Response('{}', { status: 401, headers: { 'content-type': 'application/json' } });
    };
    const client = createHttpClient(withBearer({ baseUrl: 'https://api.acme.test', fetch, retries: 0 }, auth));
    expect(await Promise.all([client.get('/a'), client.get('/b')])).toEqual([{ ok: true }, { ok: true }]);
    expect(asks).toEqual([undefined, 'at_1']);
    expect(await auth.authorizationParams()).toEqual({ realmId: '123' });
    valid = 'none';
    await expect(client.get('/c')).rejects.toMatchObject({ status: 401 });
    expect(asks).toEqual([undefined, 'at_1', 'at_2']);
  });
});
