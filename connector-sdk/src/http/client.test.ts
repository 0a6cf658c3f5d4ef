import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type RetryInfo } from './client.js';
import { HttpError } from './errors.js';
import { startScriptedServer, type ScriptedReply, type ScriptedServer } from '../testing/scripted-server.js';

const fast = { backoff: { initialMs: 5, maxMs: 20 }, random: () => 0 };
let server: ScriptedServer | undefined;

async function serve(respond: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> {
  server = await startScriptedServer(respond);
  return server;
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createHttpClient: retries', () => {
  it('retries a 503 with backoff and returns the response that follows', async () => {
    const s = await serve((_req, n): ScriptedReply => (n < 3 ? { status: 503, json: { error: 'busy' } } : { status: 200, json: { id: 'ch_1', amount: 1250 } }));
    const retries: RetryInfo[] = [];
    const client = createHttpClient({ baseUrl: s.url, ...fast, onRetry: (info) => retries.push(info) });

    const res = await client.request<{ id: string; amount: number }>('GET', '/v1/charges/ch_1');

    expect(res).toMatchObject({ status: 200, data: { id: 'ch_1', amount: 1250 }, attempts: 3 });
    expect(s.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/charges/ch_1', 'GET /v1/charges/ch_1', 'GET /v1/charges/ch_1']);
    // random() = 0 gives the lower half-bound: 5/2 then 10/2.
    expect(retries.map((r) => [r.attempt, r.status, r.code, r.delayMs])).toEqual([
      [1, 503, 'HTTP_STATUS', 3],
      [2, 503, 'HTTP_STATUS', 5],
    ]);
  });

  it('waits as long as Retry-After says, not the (much shorter) backoff', async () => {
    const s = await serve((_req, n): ScriptedReply => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200, json: { ok: true } }));
    const retries: RetryInfo[] = [];
    const client = createHttpClient({ baseUrl: s.url, ...fast, onRetry: (info) => retries.push(info) });

    const started = performance.now();
    expect(await client.post('/v1/customers', { json: { email: 'a@example.com' } })).toEqual({ ok: true });
    const elapsed = performance.now() - started;

    expect(retries).toEqual([{ method: 'POST', url: `${s.url}/v1/customers`, attempt: 1, delayMs: 1000, status: 429, code: 'HTTP_STATUS' }]);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(3000);
    // 429 means the request was refused, so even a POST is sent again, with the same body.
    expect(s.received.map((r) => r.body)).toEqual(['{"email":"a@example.com"}', '{"email":"a@example.com"}']);
  });

  it('fails at once when Retry-After asks for longer than maxRetryAfterMs', async () => {
    const s = await serve(() => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const client = createHttpClient({ baseUrl: s.url, ...fast, maxRetryAfterMs: 60_000 });
    const error = await failure(client.get('/v1/report'));
    expect([error.code, error.status, error.attempts, s.received.length]).toEqual(['HTTP_STATUS', 503, 1, 1]);
  });

  it('gives up after the configured retries and reports the last answer', async () => {
    const s = await serve(() => ({ status: 502, json: { message: 'bad gateway' } }));
    const client = createHttpClient({ baseUrl: s.url, ...fast, retries: 2 });
    const error = await failure(client.get('/v1/items', { query: { api_key: 'secret-value' } }));
    expect(error).toMatchObject({ code: 'HTTP_STATUS', status: 502, attempts: 3, method: 'GET', body: { message: 'bad gateway' } });
    expect(error.message).toBe(`GET ${s.url}/v1/items answered 502 (3 attempts)`);
    expect(error.message).not.toContain('secret-value');
    expect(s.received).toHaveLength(3);
  });

  it('does not retry a POST after a 5xx unless it is idempotent (idempotency key or option)', async () => {
    const s = await serve(() => ({ status: 500 }));
    const client = createHttpClient({ baseUrl: s.url, ...fast, retries: 2 });
    expect((await failure(client.post('/v1/refunds', { json: { charge: 'ch_1' } }))).attempts).toBe(1);
    expect((await failure(client.post('/v1/refunds', { json: { charge: 'ch_1' }, headers: { 'Idempotency-Key': 'rf_1' } }))).attempts).toBe(3);
    expect((await failure(client.patch('/v1/refunds/rf_1', { json: {}, idempotent: true }))).attempts).toBe(3);
    expect(s.received).toHaveLength(7);
    expect(s.received[1]?.headers['idempotency-key']).toBe('rf_1');
  });

  it('does not retry a client error such as 404, and carries its body', async () => {
    const s = await serve(() => ({ status: 404, json: { error: { type: 'invalid_request_error', message: 'No such charge' } } }));
    const client = createHttpClient({ baseUrl: s.url, ...fast });
    const error = await failure(client.get('/v1/charges/nope'));
    expect(error).toMatchObject({ status: 404, attempts: 1, body: { error: { message: 'No such charge' } } });
    expect(s.received).toHaveLength(1);
  });
});

describe('createHttpClient: timeouts, aborts and network errors', () => {
  it('times an attempt out, retries idempotent requests, then reports TIMEOUT', async () => {
    const s = await serve(() => 'hang');
    const client = createHttpClient({ baseUrl: s.url, ...fast, timeoutMs: 150, retries: 1 });
    const started = performance.now();
    const error = await failure(client.get('/v1/slow'));
    expect([error.code, error.status, error.attempts]).toEqual(['TIMEOUT', undefined, 2]);
    expect(s.received).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    const s = await serve(() => 'hang');
    const client = createHttpClient({ baseUrl: s.url, ...fast, retries: 3 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client.get('/v1/slow', { signal: controller.signal }));
    expect([error.code, error.attempts, s.received.length]).toEqual(['ABORTED', 1, 1]);
  });

  it('reports NETWORK after retrying a refused connection', async () => {
    const s = await serve(() => ({ status: 200 }));
    const url = s.url;
    await s.close();
    server = undefined;
    const retries: RetryInfo[] = [];
    const client = createHttpClient({ baseUrl: url, ...fast, retries: 2, onRetry: (r) => retries.push(r) });
    const error = await failure(client.get('/v1/ping'));
    expect([error.code, error.attempts, retries.map((r) => r.code)]).toEqual(['NETWORK', 3, ['NETWORK', 'NETWORK']]);
  });
});

describe('createHttpClient: requests and responses', () => {
  it('sends JSON, form and query parameters with the client headers, which may be computed per attempt', async () => {
    const s = await serve((req) => ({ status: 200, json: { echo: req.body } }));
    let token = 0;
    const client = createHttpClient({ baseUrl: `${s.url}/api/v2/`, headers: () => ({ authorization: `Bearer t${++token}` }) });
    await client.post('/orders', { json: { total: 1999 }, query: { expand: ['lines', 'customer'], draft: false, skip: undefined } });
    await client.post('tokens', { form: { grant_type: 'refresh_token', refresh_token: 'r 1' } });

    const [json, form] = s.received;
    expect(json).toMatchObject({ method: 'POST', url: '/api/v2/orders?expand=lines&expand=customer&draft=false', body: '{"total":1999}' });
    expect(json?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t1', accept: 'application/json', 'user-agent': 'uah-connector-sdk/0.1.0' });
    expect(form).toMatchObject({ url: '/api/v2/tokens', body: 'grant_type=refresh_token&refresh_token=r+1' });
    expect(form?.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer t2' });
  });

  it('reads text, empty bodies, and refuses a success whose JSON does not parse', async () => {
    const replies: ScriptedReply[] = [
      { status: 200, text: 'id,amount\n1,10', headers: { 'content-type': 'text/csv' } },
      { status: 204 },
      { status: 200, text: '{"truncated":', headers: { 'content-type': 'application/json' } },
    ];
    const s = await serve((_req, n) => replies[n - 1] ?? { status: 500 });
    const client = createHttpClient({ baseUrl: s.url, ...fast });
    expect(await client.get('/export.csv')).toBe('id,amount\n1,10');
    expect(await client.delete('/v1/items/1')).toBe('');
    const error = await failure(client.get('/v1/broken'));
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 200, body: '{"truncated":', attempts: 1 });
  });

  it('refuses to send a request to another origin than the base URL', async () => {
    const s = await serve(() => ({ status: 200 }));
    const client = createHttpClient({ baseUrl: s.url, headers: { authorization: 'Bearer secret' } });
    await expect(client.get('https://attacker.example/steal')).rejects.toThrow(/refusing to send a request/);
    expect(s.received).toHaveLength(0);
  });
});
