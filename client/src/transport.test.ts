import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { UahApiError, UahConnectionError } from './errors.js';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that answers from a script and records what it was sent. */
function scriptedFetch(replies: Array<() => Response>): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    sent.push({ method: init?.method ?? 'GET', url, headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined });
    const reply = replies[sent.length - 1];
    return reply ? Promise.resolve(reply()) : Promise.reject(new TypeError('fetch failed'));
  };
  return { fetch: fake, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
const customer = { id: 'cus_1', object: 'customer' };
const rateLimited = (): Response => json(429, { type: 'https://docs.uah.dev/errors/RATE_LIMITED', title: 'Too many requests', status: 429, code: 'RATE_LIMITED' }, { 'retry-after': '0' });

function client(replies: Array<() => Response>, maxRetries = 2) {
  const script = scriptedFetch(replies);
  return { uah: createClient({ baseUrl: 'http://api.test/', apiKey: 'uah_sk_test', organizationId: 'org_1', fetch: script.fetch, maxRetries }), sent: script.sent };
}

describe('client transport', () => {
  it('sends the key, JSON and a generated Idempotency-Key that stays the same across retries', async () => {
    const { uah, sent } = client([rateLimited, () => json(503, { code: 'SERVICE_UNAVAILABLE', status: 503 }, { 'retry-after': '0' }), () => json(201, customer)]);
    expect(await uah.customers.create({ businessName: 'Acme' })).toEqual(customer);
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatchObject({ method: 'POST', url: 'http://api.test/v1/organizations/org_1/customers', body: '{"businessName":"Acme"}' });
    expect(sent[0]?.headers).toMatchObject({ authorization: 'Bearer uah_sk_test', 'content-type': 'application/json' });
    const keys = sent.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it('retries a PATCH only when it was refused with 429, never after a 5xx', async () => {
    const refused = client([rateLimited, () => json(200, customer)]);
    expect(await refused.uah.customers.update('cus_1', { phone: null })).toEqual(customer);
    expect(refused.sent.map((s) => s.method)).toEqual(['PATCH', 'PATCH']);
    expect(refused.sent[0]?.headers['idempotency-key']).toBeUndefined();

    const failed = client([() => json(503, { code: 'SERVICE_UNAVAILABLE', status: 503 }, { 'retry-after': '0' }), () => json(200, customer)]);
    const error = await failed.uah.customers.update('cus_1', { phone: null }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: 0 });
    expect(failed.sent).toHaveLength(1);
  });

  it('gives up after maxRetries and throws the last problem', async () => {
    const { uah, sent } = client([rateLimited, rateLimited, rateLimited, rateLimited], 2);
    const error = await uah.customers.get('cus_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UahApiError);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Too many requests' });
    expect(sent).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than a minute', async () => {
    const { uah, sent } = client([() => json(503, { code: 'SERVICE_UNAVAILABLE', status: 503 }, { 'retry-after': '3600' })]);
    await expect(uah.customers.get('cus_1')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 3600 });
    expect(sent).toHaveLength(1);
  });

  it('turns an answer that is not problem+json into UNEXPECTED_RESPONSE with its text', async () => {
    const { uah } = client([() => new Response('<html>Bad gateway</html>', { status: 400, headers: { 'content-type': 'text/html', 'x-request-id': 'req_9' } })]);
    const error = (await uah.customers.get('cus_1').catch((e: unknown) => e)) as UahApiError;
    expect([error.status, error.code, error.detail, error.requestId, error.errors]).toEqual([400, 'UNEXPECTED_RESPONSE', '<html>Bad gateway</html>', 'req_9', []]);
  });

  it('throws UahConnectionError when no answer comes, after retrying a GET', async () => {
    const { uah, sent } = client([], 0);
    const error = await uah.customers.get('cus_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UahConnectionError);
    expect(error).toMatchObject({ timedOut: false, message: expect.stringContaining('fetch failed') as string });
    expect(sent).toHaveLength(1);
  });

  it('encodes ids in paths and joins event types for the query', async () => {
    const { uah, sent } = client([() => json(200, { data: [], nextCursor: null }), () => json(200, customer)]);
    await uah.events.list({ types: ['invoice.paid', 'payment.succeeded'], limit: 5 });
    await uah.customers.get('cus/../x');
    expect(sent.map((s) => s.url)).toEqual([
      'http://api.test/v1/organizations/org_1/events?limit=5&types=invoice.paid%2Cpayment.succeeded',
      'http://api.test/v1/organizations/org_1/customers/cus%2F..%2Fx',
    ]);
  });

  it('turns { dryRun: true } into ?dryRun=true and keeps it out of the body', async () => {
    const { uah, sent } = client([() => json(201, { object: 'payment_dry_run' }), () => json(200, { object: 'invoice_dry_run' })]);
    await uah.payments.create({ customerId: 'cus_1', amount: 100, method: 'CASH' }, { dryRun: true, idempotencyKey: 'k-1' });
    await uah.invoices.issue('inv_1', {}, { dryRun: true });
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', 'http://api.test/v1/organizations/org_1/payments?dryRun=true', '{"customerId":"cus_1","amount":100,"method":"CASH"}'],
      ['POST', 'http://api.test/v1/organizations/org_1/invoices/inv_1/issue?dryRun=true', '{}'],
    ]);
    expect(sent[0]?.headers['idempotency-key']).toBe('k-1');
  });

  it('reads a text export and PDF bytes, asking for those media types', async () => {
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d]);
    const { uah, sent } = client([
      () => new Response('2026-01-31 Opening\n', { status: 200, headers: { 'content-type': 'text/plain' } }),
      () => new Response(pdf, { status: 200, headers: { 'content-type': 'application/pdf' } }),
    ]);
    expect(await uah.journalEntries.exportLedger({ from: '2026-01-01' })).toBe('2026-01-31 Opening\n');
    expect(await uah.invoices.pdf('inv_1')).toEqual(pdf);
    expect(sent.map((s) => [s.url, s.headers['accept']?.split(',')[0]])).toEqual([
      ['http://api.test/v1/organizations/org_1/journal-entries/export?from=2026-01-01', 'text/plain'],
      ['http://api.test/v1/organizations/org_1/invoices/inv_1/pdf', 'application/pdf'],
    ]);
  });

  it('sends settings with PUT and does not repeat it after a 5xx', async () => {
    const { uah, sent } = client([() => json(503, { code: 'SERVICE_UNAVAILABLE', status: 503 }, { 'retry-after': '0' })]);
    await expect(uah.ledgerSettings.update({ lockDate: '2025-12-31' })).rejects.toMatchObject({ status: 503 });
    expect(sent.map((s) => [s.method, s.url, s.body, s.headers['idempotency-key']])).toEqual([
      ['PUT', 'http://api.test/v1/organizations/org_1/ledger/settings', '{"lockDate":"2025-12-31"}', undefined],
    ]);
  });
});
