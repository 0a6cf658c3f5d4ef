import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { HttpError } from './errors.js';
import { hostMatches, isAllowedDestination } from './destination.js';
import { startScriptedServer, type ScriptedServer } from '../testing/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('hostMatches', () => {
  it.each([
    ['api.stripe.com', 'api.stripe.com', true],
    ['API.Stripe.com.', 'api.stripe.com', true],
    ['api.stripe.com.evil.test', 'api.stripe.com', false],
    ['evilapi.stripe.com', 'api.stripe.com', false],
    ['acme.myshopify.com', '*.myshopify.com', true],
    ['a.b.myshopify.com', '*.myshopify.com', true],
    ['myshopify.com', '*.myshopify.com', false],
    ['evilmyshopify.com', '*.myshopify.com', false],
  ])('%s against %s is %s', (host, pattern, expected) => {
    expect(hostMatches(host, pattern)).toBe(expected);
  });

  it('refuses other schemes whatever the host', () => {
    expect(isAllowedDestination('ftp://api.stripe.com/x', ['api.stripe.com'])).toBe(false);
    expect(isAllowedDestination('https://api.stripe.com/x', ['api.stripe.com'])).toBe(true);
  });
});

describe('createHttpClient with allowedHosts', () => {
  it('calls an allowed host and refuses another one without sending anything', async () => {
    server = await startScriptedServer(() => ({ status: 200, json: { ok: true } }));
    const client = createHttpClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'] });
    expect(await client.get('/ping')).toEqual({ ok: true });

    const refused = createHttpClient({ baseUrl: server.url, allowedHosts: ['api.example.com'] });
    const error = await refused.get('/ping').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).code).toBe('HOST_NOT_ALLOWED');
    expect(server.received).toHaveLength(1);
  });

  it('does not follow a redirect to another host', async () => {
    server = await startScriptedServer(() => ({ status: 302, headers: { location: 'http://localhost:1/steal' } }));
    const client = createHttpClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], retries: 0 });
    const error = (await client.get('/ping').catch((e: unknown) => e)) as HttpError;
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.status).toBe(302);
  });
});
