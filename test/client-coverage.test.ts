import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { UniversalAccountingAPI, type WebSocketLike } from '../client/src/index.js';
import { createTestHub, type TestHub } from '../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../hub/src/connectors/platform.js';

/**
 * The client is checked against the hub's OpenAPI document: every client method is called through a
 * recording fetch (and a recording WebSocket), and every operation of the document must have been reached
 * by one of them, unless it is listed below with the reason it is left out.
 */

interface Operation {
  method: string;
  path: string;
  operationId: string;
}
interface Call {
  method: string;
  path: string;
}
type OpenApi = { paths: Record<string, Record<string, { operationId: string }>> };

/** Operations the client leaves out on purpose. Exact paths must exist in the document; patterns may name routes still to come. */
const NOT_IN_CLIENT: readonly { method: string; path: string | RegExp; why: string }[] = [
  // Providers POST their own signed webhooks here; the connector verifies the raw bytes. No client sends them.
  { method: 'POST', path: '/v1/hooks/{connectorId}/{orgId}', why: 'provider webhook intake' },
  // The provider sends the user's browser back here with the authorization code; no client calls it.
  { method: 'GET', path: '/v1/oauth/callback', why: 'OAuth2 callback (a browser redirect)' },
  // The dashboard's sign-in: a key exchanged for an HttpOnly cookie a browser keeps; an application sends its key instead.
  { method: 'POST', path: '/v1/sessions', why: 'dashboard sign-in (cookie session)' },
  { method: 'GET', path: '/v1/sessions/current', why: 'dashboard session' },
  { method: 'DELETE', path: '/v1/sessions/current', why: 'dashboard sign-out' },
  // Operations for tools and orchestrators, not for an application: the API description, probes, metrics.
  { method: 'GET', path: '/v1/openapi.json', why: 'the API description itself' },
  { method: 'GET', path: '/health', why: 'liveness probe' },
  { method: 'GET', path: '/ready', why: 'readiness probe' },
  { method: 'GET', path: '/metrics', why: 'Prometheus metrics' },
];

/** Arguments after the organization id; methods not named here get placeholder ids. */
const PLACEHOLDERS = ['id_1', 'id_2', 'id_3'];
const ARGUMENTS: Record<string, unknown[][]> = {
  // One route per kind of record.
  'data.import': [['customers', 'name\n'], ['vendors', 'name\n'], ['products', 'sku\n']],
  'events.subscribe': [[{ onEvent: () => undefined }]],
};
const ORG = 'org_coverage';

function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, operationId: op.operationId })));
}

const templateRegExp = (path: string): RegExp => new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
const allowed = (op: Operation): boolean => NOT_IN_CLIENT.some((a) => a.method === op.method && (typeof a.path === 'string' ? a.path === op.path : a.path.test(op.path)));

/** The operation a concrete call reached: the matching template with the most literal segments. */
function operationOf(call: Call, operations: Operation[]): Operation | undefined {
  const candidates = operations.filter((op) => op.method === call.method && templateRegExp(op.path).test(call.path));
  return candidates.sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))[0];
}

/** Operations no client call reached (and not allowed to be left out), and calls that reached no operation. */
export function coverage(doc: OpenApi, calls: Call[]): { missing: string[]; unknown: string[] } {
  const operations = operationsOf(doc);
  const reached = new Set<Operation>();
  const unknown = new Set<string>();
  for (const call of calls) {
    const op = operationOf(call, operations);
    if (op) reached.add(op);
    else unknown.add(`${call.method} ${call.path}`);
  }
  const missing = operations.filter((op) => !reached.has(op) && !allowed(op)).map((op) => `${op.method} ${op.path} (${op.operationId})`);
  return { missing, unknown: [...unknown] };
}

/** Calls every method of every resource group of the client (and `subscribe`), recording what it sends. */
async function callEveryMethod(): Promise<{ calls: Call[]; failures: string[] }> {
  const calls: Call[] = [];
  const failures: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, path: new URL(input instanceof Request ? input.url : input).pathname });
    if (method === 'DELETE') return new Response(null, { status: 204 });
    return new Response(JSON.stringify({ data: [], nextCursor: null }), { status: method === 'POST' ? 201 : 200, headers: { 'content-type': 'application/json' } });
  };
  class RecordingWebSocket implements WebSocketLike {
    onopen = null;
    onmessage = null;
    onerror = null;
    onclose = null;
    constructor(url: string) {
      calls.push({ method: 'GET', path: new URL(url).pathname });
    }
    close(): void {}
  }
  const api = new UniversalAccountingAPI({ baseUrl: 'http://hub.invalid/v1', apiKey: 'uah_sk_coverage', fetch: recordingFetch, maxRetries: 0, WebSocket: RecordingWebSocket });
  const groups = Object.entries(api as unknown as Record<string, Record<string, unknown>>).filter(([, group]) => typeof group === 'object' && group !== null);
  const invocations: [string, () => unknown][] = [['subscribe', () => api.subscribe(ORG, ['invoice.*'])]];
  for (const [groupName, group] of groups) {
    for (const [name, method] of Object.entries(group)) {
      if (typeof method !== 'function') continue;
      for (const args of ARGUMENTS[`${groupName}.${name}`] ?? [PLACEHOLDERS]) invocations.push([`${groupName}.${name}`, () => (method as (...a: unknown[]) => unknown)(ORG, ...args)]);
    }
  }
  for (const [name, invoke] of invocations) {
    const before = calls.length;
    try {
      const result = invoke();
      if (result && typeof result === 'object' && Symbol.asyncIterator in result) for await (const _ of result as AsyncIterable<unknown>) break;
      else if (result && typeof result === 'object' && 'close' in result) (result as { close(): void }).close();
      else await result;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
    if (calls.length === before) failures.push(`${name}: sent nothing`);
  }
  return { calls, failures };
}

describe('the client against the OpenAPI document', () => {
  let hub: TestHub;
  let platform: ConnectorPlatform;
  let doc: OpenApi;

  beforeAll(async () => {
    // The hub's whole API: the core's routes and the connector platform's, as the hub serves them.
    platform = await createConnectorPlatform({ search: { paths: [] } }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
    hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
    doc = (await hub.request<OpenApi>('GET', '/v1/openapi.json')).body;
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
    await hub?.close();
  });

  it('has a client method for every operation, and calls no path the API does not have', async () => {
    const { calls, failures } = await callEveryMethod();
    expect(failures, 'client methods that failed or sent nothing').toEqual([]);
    const { missing, unknown } = coverage(doc, calls);
    expect(missing, 'operations of the OpenAPI document with no client method').toEqual([]);
    expect(unknown, 'client calls that reach no operation of the document').toEqual([]);
  });

  it('a route the client does not know fails the check', async () => {
    const { calls } = await callEveryMethod();
    const withNewRoute: OpenApi = { paths: { ...doc.paths, '/v1/organizations/{orgId}/widgets/{widgetId}/polish': { post: { operationId: 'polishWidget' } } } };
    expect(coverage(withNewRoute, calls).missing).toEqual([...coverage(doc, calls).missing, 'POST /v1/organizations/{orgId}/widgets/{widgetId}/polish (polishWidget)']);
  });

  it('leaves out only what the allow-list names, and names nothing that is not there', () => {
    const operations = operationsOf(doc);
    for (const entry of NOT_IN_CLIENT) {
      if (typeof entry.path !== 'string') continue;
      expect(operations.some((op) => op.method === entry.method && op.path === entry.path), `${entry.method} ${entry.path} (${entry.why})`).toBe(true);
    }
  });
});
