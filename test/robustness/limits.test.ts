import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../../core/src/testing/harness.js';
import { JSON_LIMITS } from '../../core/src/http/json-input.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';

/**
 * The limits docs/limits.md lists, each just past its number: every one is a 4xx problem+json naming what was
 * too big, and nothing is written.
 */
describe('documented limits', () => {
  let hub: TestHub;
  let platform: ConnectorPlatform;
  let org: { id: string; apiKey: string };

  beforeAll(async () => {
    platform = await createConnectorPlatform({ search: { paths: [] } }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
    hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
    org = await hub.createOrganization('Limits Ltd');
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
    await hub?.close();
  });

  const send = (path: string, raw: string) => hub.request('POST', path, { token: org.apiKey, raw, headers: { 'content-type': 'application/json' } });
  const problem = (answer: { status: number; headers: Headers }, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
  };

  it('a JSON body of more than 1 MB: 413 BODY_TOO_LARGE, nothing written', async () => {
    const customers = `/v1/organizations/${org.id}/customers`;
    const big = await send(customers, JSON.stringify({ businessName: 'Big', notes: 'x'.repeat(1024 * 1024) }));
    problem(big, 413);
    expect(big.body.code).toBe('BODY_TOO_LARGE');
    const justUnder = await send(customers, JSON.stringify({ businessName: 'Just under', metadata: { note: 'x'.repeat(400) } }));
    expect(justUnder.status).toBe(201);
    const list = await hub.request('GET', `${customers}?limit=100`, { token: org.apiKey });
    expect(list.body.data.map((c: { businessName: string }) => c.businessName)).toEqual(['Just under']);
  });

  it(`nesting deeper than ${JSON_LIMITS.maxDepth} levels, more than ${JSON_LIMITS.maxKeys} members or ${JSON_LIMITS.maxItems} items: 400 JSON_LIMIT_EXCEEDED`, async () => {
    const path = `/v1/organizations/${org.id}/journal-entries`;
    const deep = await send(path, `{"memo":${'['.repeat(JSON_LIMITS.maxDepth)}${']'.repeat(JSON_LIMITS.maxDepth)}}`);
    problem(deep, 400);
    expect(deep.body.code).toBe('JSON_LIMIT_EXCEEDED');
    const wide = await send(path, `{${Array.from({ length: JSON_LIMITS.maxKeys + 1 }, (_, i) => `"k${i}":0`).join(',')}}`);
    problem(wide, 400);
    expect(wide.body.code).toBe('JSON_LIMIT_EXCEEDED');
    const long = await send(path, `{"lines":[${Array.from({ length: JSON_LIMITS.maxItems + 1 }, () => '0').join(',')}]}`);
    problem(long, 400);
    expect(long.body.code).toBe('JSON_LIMIT_EXCEEDED');
  });

  it('a page of more than 100 items: 400 VALIDATION_FAILED naming limit', async () => {
    for (const list of ['customers', 'invoices', 'journal-entries', 'events']) {
      const answer = await hub.request('GET', `/v1/organizations/${org.id}/${list}?limit=101`, { token: org.apiKey });
      problem(answer, 400);
      expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringMatching(/limit/) })]));
    }
    expect((await hub.request('GET', `/v1/organizations/${org.id}/customers?limit=100`, { token: org.apiKey })).status).toBe(200);
  });

  it('a provider webhook of more than 1 MB: 413 before the connector sees it', async () => {
    const answer = await hub.request('POST', `/v1/hooks/sample/${org.id}`, { token: null, raw: JSON.stringify({ id: 'evt', pad: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    problem(answer, 413);
    expect(answer.body.code).toBe('BODY_TOO_LARGE');
  });

  it('a webhook endpoint with more than 20 headers, a header over 1,000 characters or a timeout past 30 s: 400', async () => {
    const path = `/v1/organizations/${org.id}/webhooks`;
    const endpoint = { url: 'https://hooks.example.com/uah', events: ['*'] };
    const headers = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']));
    for (const body of [{ ...endpoint, headers }, { ...endpoint, headers: { 'X-Long': 'x'.repeat(1001) } }, { ...endpoint, timeoutMs: 30_001 }, { ...endpoint, events: Array.from({ length: 101 }, (_, i) => `t${i}.x`) }]) {
      const answer = await hub.request('POST', path, { token: org.apiKey, body });
      problem(answer, 400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('an organization rate limit or key limit out of range: 400', async () => {
    problem(await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body: { rateLimit: 10_000_001 } }), 400);
    problem(await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { rateLimit: 0 } }), 400);
  });
});
