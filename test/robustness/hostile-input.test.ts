import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components } from '@uah/schemas';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';

/**
 * Every route of the table, called with hostile path parameters, query strings and bodies: each answer
 * must be a 2xx or a 4xx problem+json, never a 5xx.
 */
const PARAMS = ['x', 'cus_0', "'; DROP TABLE customers; --", 'a'.repeat(500), '%00', '%E2%80%AE', '..%2F..%2Fetc'];
const QUERIES = ['limit=-1', 'limit=1e9', 'cursor=%FF%FE', 'asOf=2026-02-30', 'from=9999-99-99', 'types=a.b,,c', 'after=evt_%00', 'dryRun=yes', 'format=xml', 'limit[]=1&limit[]=2'];
const BODIES: unknown[] = [
  null, [], 'text', 12, true, {},
  // Past Number.MAX_SAFE_INTEGER and past double range, as the raw JSON text a client could send.
  { raw: '{"amount": 9007199254740993, "fees": 1e400, "quantity": "1e400", "currency": "usd", "lines": [{}]}' },
  { lines: Array.from({ length: 2000 }, () => ({ description: 'x', quantity: '1', unitPrice: 1 })) },
  { name: '\u0000\uD800', metadata: { ['k'.repeat(100)]: 'v' } },
  { name: 'a\u0000b', firstName: 'a\u0000b', businessName: 'x\u0000', description: '\u0000', sku: 'S\u0000', reason: 'GENERAL', metadata: { ['k\u0000']: 'v' } },
  JSON.parse('{"a":' + '{"a":'.repeat(200) + '1' + '}'.repeat(201)) as unknown,
  { __proto__: { admin: true }, constructor: { prototype: { polluted: true } } },
  // Deep nesting of arrays and of objects, as raw text (a recursive walk of these overflows the stack).
  { raw: '['.repeat(2000) + ']'.repeat(2000) },
  { raw: '{"a":'.repeat(2000) + '1' + '}'.repeat(2000) },
  { raw: '{"lines":[' + '{"x":['.repeat(3000) },
];

/** 100,000 members in one object: about 1 MB of JSON, inside the body limit. */
const WIDE = '{' + Array.from({ length: 100_000 }, (_, i) => `"${i.toString(36)}":0`).join(',') + '}';

function queryParameters(schema: string | undefined): string[] {
  if (!schema) return [];
  const properties = (components[schema] as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return Object.keys(properties);
}

describe('hostile input on every route', () => {
  let hub: TestHub;
  let platform: ConnectorPlatform;
  let org: { id: string; apiKey: string };

  beforeAll(async () => {
    // The hub's connector and integration routes too (over an empty catalog).
    platform = await createConnectorPlatform({ search: {} }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
    hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
    org = await hub.createOrganization('Hostile Ltd');
  });
  afterAll(async () => {
    await platform.stop();
    await hub.close();
  });

  const pathOf = (template: string, param: string): string => template.replace(':orgId', org.id).replace(/:[A-Za-z]+/g, param);

  it('answers every hostile request with a 2xx or a 4xx problem, never a 5xx', async () => {
    const failures: string[] = [];
    const check = async (method: string, path: string, init: { body?: unknown; raw?: string }): Promise<void> => {
      const token = path.startsWith('/v1/organizations/') ? org.apiKey : TEST_ADMIN_TOKEN;
      const res = await fetch(hub.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: init.raw ?? JSON.stringify(init.body) }),
      });
      const type = res.headers.get('content-type') ?? '';
      await res.arrayBuffer();
      if (res.status >= 500 || (res.status >= 400 && !type.startsWith('application/problem+json'))) failures.push(`${method} ${path.slice(0, 120)} → ${res.status} ${type}`);
    };
    for (const route of hub.core.routes) {
      if (route.path === '/metrics') continue;
      for (const param of PARAMS) await check(route.method, pathOf(route.path, param), { body: {} });
      const path = pathOf(route.path, 'x');
      for (const query of QUERIES) await check(route.method, `${path}?${query}`, { body: {} });
      // Every documented query parameter with a NUL byte, and with a 10 kB value.
      for (const name of queryParameters(route.query)) {
        await check(route.method, `${path}?${name}=a%00b`, { body: {} });
        await check(route.method, `${path}?${name}=${'z'.repeat(10_000)}`, { body: {} });
      }
      if (route.method !== 'GET') {
        for (const body of BODIES) {
          const raw = body !== null && typeof body === 'object' && 'raw' in body ? String(body.raw) : undefined;
          await check(route.method, path, raw !== undefined ? { raw } : { body });
        }
        await check(route.method, path, { raw: '{"unterminated": ' });
      }
    }
    // A body that is valid but for a NUL character: refused before it reaches the database.
    const nul = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { token: org.apiKey, body: { firstName: 'Ada\u0000' } });
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([{ field: '/firstName', in: 'body', message: 'must not contain NUL (\\u0000) characters' }]);
    expect(failures).toEqual([]);
    const stillThere = await hub.request('GET', `/v1/organizations/${org.id}`, { token: org.apiKey });
    expect(stillThere.status).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 120_000);

  it('refuses deep and wide bodies by their documented limits, before parsing them', async () => {
    const send = (path: string, raw: string, token = org.apiKey) =>
      hub.request('POST', path, { token, raw, headers: { 'content-type': 'application/json' } });
    const customers = `/v1/organizations/${org.id}/customers`;
    const deepArrays = await send(customers, '['.repeat(2000) + ']'.repeat(2000));
    expect(deepArrays.status).toBe(400);
    expect(deepArrays.body.code).toBe('JSON_LIMIT_EXCEEDED');
    expect(deepArrays.body.detail).toMatch(/at most 32 levels/);
    // A megabyte of open brackets: refused by the limit, not by the parser's time or the stack.
    const bracketMegabyte = await send('/v1/organizations', '['.repeat(1_000_000), TEST_ADMIN_TOKEN);
    expect(bracketMegabyte.body.code).toBe('JSON_LIMIT_EXCEEDED');
    const deepObjects = await send('/v1/organizations', '{"name":'.repeat(2000) + '"x"' + '}'.repeat(2000), TEST_ADMIN_TOKEN);
    expect(deepObjects.body.code).toBe('JSON_LIMIT_EXCEEDED');
    const wide = await send(customers, WIDE);
    expect(wide.status).toBe(400);
    expect(wide.body.detail).toMatch(/at most 1000 members/);
    const longArray = await send(customers, `{"metadata":[${Array.from({ length: 10_001 }, () => '0').join(',')}]}`);
    expect(longArray.body.detail).toMatch(/at most 10000 items/);
    // Brackets inside strings are text, not nesting.
    const quoted = await send(customers, JSON.stringify({ firstName: '[{"\\'.repeat(12), metadata: { note: '['.repeat(40) } }));
    expect(quoted.status).toBe(201);
    // Just inside the limits, a body is read as usual.
    const nested = await send(customers, JSON.stringify({ firstName: 'Deep', metadata: { a: 'b' } }));
    expect(nested.status).toBe(201);
  });
});
