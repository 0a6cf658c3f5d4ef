import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearOfRateWindowEdge, createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../testing/harness.js';

describe('HTTP platform', () => {
  let hub: TestHub;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };

  beforeAll(async () => {
    hub = await createTestHub();
    a = await hub.createOrganization('Org A');
    b = await hub.createOrganization('Org B');
  });
  afterAll(() => hub.close());

  describe('tenant isolation', () => {
    it("a key never reaches another organization's data", async () => {
      const mine = await hub.request('POST', `/v1/organizations/${a.id}/customers`, { token: a.apiKey, body: { firstName: 'Alice' } });
      const theirs = await hub.request('POST', `/v1/organizations/${b.id}/customers`, { token: b.apiKey, body: { firstName: 'Bob' } });
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);

      const crossPath = await hub.request('GET', `/v1/organizations/${b.id}/customers`, { token: a.apiKey });
      expect(crossPath.status).toBe(404);
      expect(crossPath.body.code).toBe('NOT_FOUND');
      expect(crossPath.body.detail).toBe(`No organization ${b.id}.`);
      const crossId = await hub.request('GET', `/v1/organizations/${a.id}/customers/${theirs.body.id}`, { token: a.apiKey });
      expect(crossId.status).toBe(404);
      const crossUpdate = await hub.request('PATCH', `/v1/organizations/${a.id}/customers/${theirs.body.id}`, { token: a.apiKey, body: { firstName: 'Mallory' } });
      expect(crossUpdate.status).toBe(404);
      const crossEvents = await hub.request('GET', `/v1/organizations/${b.id}/events`, { token: a.apiKey });
      expect(crossEvents.status).toBe(404);

      const list = await hub.request('GET', `/v1/organizations/${a.id}/customers`, { token: a.apiKey });
      expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([mine.body.id]);
      const events = await hub.request('GET', `/v1/organizations/${a.id}/events`, { token: a.apiKey });
      expect(events.body.data.every((e: { organizationId: string }) => e.organizationId === a.id)).toBe(true);
      const untouched = await hub.request('GET', `/v1/organizations/${b.id}/customers/${theirs.body.id}`, { token: b.apiKey });
      expect(untouched.body.firstName).toBe('Bob');
    });

    it('the data layer refuses a query without an organization', async () => {
      const { CustomerModel } = await import('../customers/model.js');
      await expect(CustomerModel.query(hub.db.knex)).rejects.toThrow(/organization scope/);
    });
  });

  describe('errors are problem+json', () => {
    const expectProblem = (res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, code: string) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status, code, type: `https://docs.uah.dev/errors/${code}`, title: expect.any(String), requestId: res.headers.get('x-request-id') });
    };
    const customers = () => `/v1/organizations/${a.id}/customers`;

    it('unknown routes and methods', async () => {
      expectProblem(await hub.request('GET', '/v1/nothing-here', { token: a.apiKey }), 404, 'ROUTE_NOT_FOUND');
      const res = await fetch(`${hub.baseUrl}/v1/organizations/${a.id}/customers`, { method: 'DELETE', headers: { authorization: `Bearer ${a.apiKey}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    });

    it('routes each request by its own path when the routes matched for one shape of path are reused', async () => {
      // The same shape of path (ids in the same places) twice: each answer is its own record's.
      const first = await hub.request('POST', customers(), { token: a.apiKey, body: { firstName: 'First' } });
      const second = await hub.request('POST', customers(), { token: a.apiKey, body: { firstName: 'Second' } });
      for (const created of [first, second, first]) {
        const res = await hub.request('GET', `${customers()}/${created.body.id}`, { token: a.apiKey });
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(created.body.id);
        expect(res.body.firstName).toBe(created.body.firstName);
      }
      // A shape already seen with GET still answers 405 to a method it does not have, and a literal segment
      // where the id was (a path the routes do not have) is not taken for it.
      const wrongMethod = await fetch(`${hub.baseUrl}${customers()}/${first.body.id}`, { method: 'PUT', headers: { authorization: `Bearer ${a.apiKey}` } });
      expect(wrongMethod.status).toBe(405);
      expectProblem(await hub.request('GET', `${customers()}/${first.body.id}/nothing-here`, { token: a.apiKey }), 404, 'ROUTE_NOT_FOUND');
    });

    it('authentication and scopes', async () => {
      expectProblem(await hub.request('GET', customers(), { token: null }), 401, 'UNAUTHENTICATED');
      expectProblem(await hub.request('GET', customers(), { token: 'uah_sk_nope' }), 401, 'UNAUTHENTICATED');
      expectProblem(await hub.request('POST', '/v1/organizations', { token: a.apiKey, body: { name: 'x' } }), 401, 'UNAUTHENTICATED');
      const readOnly = await hub.request('POST', `/v1/organizations/${a.id}/api-keys`, { token: a.apiKey, body: { name: 'reader', scopes: ['read'] } });
      expect(readOnly.status).toBe(201);
      expect(readOnly.body.apiKey).toMatch(/^uah_sk_/);
      expect(readOnly.body.secret).toBe(readOnly.body.apiKey); // the former name, deprecated
      expect((await hub.request('GET', customers(), { token: readOnly.body.apiKey })).status).toBe(200);
      expectProblem(await hub.request('POST', customers(), { token: readOnly.body.apiKey, body: { firstName: 'X' } }), 403, 'FORBIDDEN');
      const keys = await hub.request('GET', `/v1/organizations/${a.id}/api-keys`, { token: a.apiKey });
      expect(JSON.stringify(keys.body)).not.toContain(readOnly.body.apiKey);
      const revoked = await hub.request('POST', `/v1/organizations/${a.id}/api-keys/${readOnly.body.id}/revoke`, { token: TEST_ADMIN_TOKEN });
      expect(revoked.body.revokedAt).not.toBeNull();
      expectProblem(await hub.request('GET', customers(), { token: readOnly.body.apiKey }), 401, 'UNAUTHENTICATED');
    });

    it('bad JSON, wrong content type, oversized bodies', async () => {
      expectProblem(await hub.request('POST', customers(), { token: a.apiKey, raw: '{"firstName": ', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
      expectProblem(await hub.request('POST', customers(), { token: a.apiKey, raw: 'firstName=A', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await hub.request('POST', customers(), { token: a.apiKey, raw: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      const huge = JSON.stringify({ firstName: 'A', metadata: { k: 'x'.repeat(2_000_000) } });
      expectProblem(await hub.request('POST', customers(), { token: a.apiKey, raw: huge, headers: { 'content-type': 'application/json' } }), 413, 'BODY_TOO_LARGE');
      expectProblem(await hub.request('POST', customers(), { token: a.apiKey, raw: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, and refuses the key with another body', async () => {
      const key = `idem-${Date.now()}`;
      const first = await hub.request('POST', `/v1/organizations/${a.id}/customers`, { token: a.apiKey, body: { firstName: 'Once' }, headers: { 'idempotency-key': key } });
      const again = await hub.request('POST', `/v1/organizations/${a.id}/customers`, { token: a.apiKey, body: { firstName: 'Once' }, headers: { 'idempotency-key': key } });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const other = await hub.request('POST', `/v1/organizations/${a.id}/customers`, { token: a.apiKey, body: { firstName: 'Twice' }, headers: { 'idempotency-key': key } });
      expect(other.status).toBe(409);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('runs concurrent duplicates once', async () => {
      const key = `race-${Date.now()}`;
      const attempts = await Promise.all(
        Array.from({ length: 10 }, () => hub.request('POST', `/v1/organizations/${a.id}/customers`, { token: a.apiKey, body: { businessName: 'Racer' }, headers: { 'idempotency-key': key } })),
      );
      const created = attempts.filter((r) => r.status === 201);
      const inUse = attempts.filter((r) => r.status === 409);
      expect(created.length + inUse.length).toBe(10);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      inUse.forEach((r) => expect(r.body.code).toBe('IDEMPOTENCY_KEY_IN_USE'));
      const rows = await hub.db.knex('customers').where({ business_name: 'Racer', organization_id: a.id });
      expect(rows).toHaveLength(1);
      const events = await hub.db.knex('events').where({ aggregate_id: rows[0].id });
      expect(events).toHaveLength(1);
    });

    it('forgets records past the replay window', async () => {
      const { purgeExpiredIdempotencyKeys } = await import('./idempotency.js');
      const knex = hub.db.knex;
      const row = (key: string, age: string) => ({ scope: a.id, key, method: 'POST', path: '/x', request_hash: 'h', response_status: 201, created_at: knex.raw(`now() - interval '${age}'`) });
      await knex('idempotency_keys').insert([row('old-done', '25 hours'), row('fresh', '1 hour')]);
      expect(await purgeExpiredIdempotencyKeys(knex)).toBe(1);
      const left = (await knex('idempotency_keys').whereIn('key', ['old-done', 'fresh']).pluck('key')) as string[];
      expect(left).toEqual(['fresh']);
    });

    it('stores client errors too, so a retry of a refused request is refused the same way', async () => {
      const key = `bad-${Date.now()}`;
      const otherOrgCustomer = await hub.request('POST', `/v1/organizations/${b.id}/customers`, { token: b.apiKey, body: { firstName: 'B2' } });
      const path = `/v1/organizations/${a.id}/customers/${otherOrgCustomer.body.id}/deactivate`;
      const first = await hub.request('POST', path, { token: a.apiKey, headers: { 'idempotency-key': key } });
      const second = await hub.request('POST', path, { token: a.apiKey, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(404);
      expect(second.status).toBe(404);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
    });
  });

  it('gives every response a request id, and health, readiness and metrics answer', async () => {
    const health = await hub.request('GET', '/health');
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toMatch(/^req_/);
    const ready = await hub.request('GET', '/ready');
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', bus: 'ok' } });
    const metrics = await hub.request('GET', '/metrics');
    expect(metrics.body).toContain('uah_http_requests_total');
    expect(metrics.body).toContain('uah_outbox_lag_events');
    expect(metrics.body).toMatch(/uah_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/organizations\/:orgId\/customers"/);
  });

  it('counts a request refused before its handler (invalid JSON, 415, 413) under its route; unmatched only when no route has it', async () => {
    const org = `/v1/organizations/${a.id}`;
    const json = { token: a.apiKey, headers: { 'content-type': 'application/json' } };
    expect((await hub.request('POST', `${org}/customers`, { ...json, raw: '{"firstName":' })).status).toBe(400);
    expect((await hub.request('POST', `${org}/products`, { token: a.apiKey, raw: 'name=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await hub.request('PATCH', `${org}/customers/cus_1`, { ...json, raw: JSON.stringify({ notes: 'x'.repeat(1_100_000) }) })).status).toBe(413);
    expect((await hub.request('GET', '/v1/nowhere', { token: a.apiKey })).status).toBe(404);
    const metrics = (await hub.request('GET', '/metrics')).body as string;
    const count = (method: string, route: string, status: number): boolean =>
      new RegExp(`uah_http_requests_total\\{[^}]*method="${method}"[^}]*route="${route.replace(/[/]/g, '\\/')}"[^}]*status="${status}"[^}]*\\} [1-9]`).test(metrics);
    expect(count('POST', '/v1/organizations/:orgId/customers', 400)).toBe(true);
    expect(count('POST', '/v1/organizations/:orgId/products', 415)).toBe(true);
    expect(count('PATCH', '/v1/organizations/:orgId/customers/:customerId', 413)).toBe(true);
    expect(count('GET', 'unmatched', 404)).toBe(true);
    expect(metrics).not.toMatch(/route="unmatched"[^}]*status="(400|413|415)"/);
  });
});

describe('rate limits', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub({ rateLimit: { limit: 5, windowSeconds: 30 } });
  });
  afterAll(() => hub.close());

  it('counts per key, sends RateLimit headers, and answers 429 with Retry-After past the limit', async () => {
    const org = await hub.createOrganization('Limited');
    await clearOfRateWindowEdge(30);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestHub['request']>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await hub.request('GET', `/v1/organizations/${org.id}/customers`, { token: org.apiKey });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(last?.headers.get('ratelimit-limit')).toBe('5');
    expect(last?.headers.get('ratelimit-remaining')).toBe('0');
    const limited = await hub.request('GET', `/v1/organizations/${org.id}/customers`, { token: org.apiKey });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    const other = await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: TEST_ADMIN_TOKEN, body: { name: 'second' } });
    expect(other.status).toBe(201);
    expect((await hub.request('GET', `/v1/organizations/${org.id}/customers`, { token: other.body.apiKey })).status).toBe(200);
    await hub.core.rateLimiter.flush();
    const shared = await hub.db.knex('rate_limit_windows').sum({ n: 'count' }).first();
    expect(Number(shared?.n)).toBeGreaterThanOrEqual(6);
  });
});
