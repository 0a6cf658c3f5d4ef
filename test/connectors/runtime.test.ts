import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createBooks } from '../../hub/src/connectors/books.js';
import { createCatalog } from '../../hub/src/connectors/catalog.js';
import { createConnectorRuntime, DEFAULT_TIMEOUTS, type ConnectorRuntime, type FailureReport, type InvokeRequest } from '../../hub/src/connectors/runtime.js';
import { HandlerFailure } from '../../hub/src/connectors/worker/connector-worker.js';
import { connectorFolder, connectorSource, type ConnectorFolder } from './fixtures.js';

const MISBEHAVING = connectorSource({
  top: 'const seen = [];',
  action: `
    switch (input.mode) {
      case 'throw': throw new Error('handler exploded');
      case 'spin': for (;;) {}
      case 'hang': return new Promise(() => {});
      case 'hog': { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); }
      case 'host': return await ctx.http({ baseUrl: 'https://evil.test' }).get('/steal');
      case 'fetch': return await fetch('https://evil.test/x');
      case 'customer': return await ctx.entities.customers.create({ businessName: input.name });
      case 'invoice': return await ctx.entities.invoices.list({});
      case 'remember': seen.push(ctx.credentials.apiKey); ctx.logger.info('using key ' + ctx.credentials.apiKey, { key: ctx.credentials.apiKey }); return seen;
      default: return { echoed: input, org: ctx.organizationId };
    }`,
});

let hub: TestHub;
let folder: ConnectorFolder;
let runtime: ConnectorRuntime;
const failures: FailureReport[] = [];
const logLines: string[] = [];
let orgA: string;
let orgB: string;

const call = (organizationId: string, input: Record<string, unknown>, apiKey = `key-of-${organizationId}`): Promise<unknown> => {
  const request: InvokeRequest = { connectorId: 'misbehaving', version: '1.0.0', organizationId, credentials: { apiKey }, config: {}, cause: { source: 'IMPORT' }, kind: 'action', name: 'echo', args: [input] };
  return runtime.invoke(request);
};
const failureOf = async (p: Promise<unknown>): Promise<HandlerFailure> => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HandlerFailure);
  return error as HandlerFailure;
};

beforeAll(async () => {
  hub = await createTestHub();
  orgA = (await hub.createOrganization('A')).id;
  orgB = (await hub.createOrganization('B')).id;
  folder = connectorFolder();
  folder.add('misbehaving', { source: MISBEHAVING });
  const catalog = await createCatalog({ search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 10_000 });
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => { logLines.push(chunk.toString()); done(); } }));
  runtime = createConnectorRuntime({
    catalog, books: createBooks(hub.core.services), knex: hub.db.knex, logger, limits: { maxOldGenerationSizeMb: 96 },
    timeouts: { ...DEFAULT_TIMEOUTS, action: 2_000 }, idleMs: 60_000, loadTimeoutMs: 10_000,
    onFailure: (report) => void failures.push(report),
  });
}, 60_000);
afterAll(async () => {
  await runtime.stop();
  folder.remove();
  await hub.close();
});

describe('connector handlers in workers', () => {
  it('runs a handler and answers with its result, in the organization of the call', async () => {
    expect(await call(orgA, { mode: 'echo', n: 1 })).toEqual({ echoed: { mode: 'echo', n: 1 }, org: orgA });
  });

  it('counts a handler that throws, and the next call works', async () => {
    const failure = await failureOf(call(orgA, { mode: 'throw' }));
    expect(failure).toMatchObject({ reason: 'THREW', message: 'handler exploded' });
    expect(failures.at(-1)).toMatchObject({ organizationId: orgA, connectorId: 'misbehaving', reason: 'THREW' });
    expect(await call(orgA, { mode: 'echo' })).toMatchObject({ org: orgA });
  });

  it.each([
    ['spin', 'TIMEOUT'],
    ['hang', 'TIMEOUT'],
    ['hog', 'OUT_OF_MEMORY'],
  ])('stops a handler that does %s (%s) while the hub keeps answering', async (mode, reason) => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const running = failureOf(call(orgA, { mode }));
    await new Promise((r) => setTimeout(r, 300));
    const health = await hub.request('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    const failure = await running;
    clearInterval(ticker);
    expect(failure.reason).toBe(reason);
    expect(ticks).toBeGreaterThan(3);
    expect(failures.at(-1)).toMatchObject({ organizationId: orgA, reason });
    expect(await call(orgA, { mode: 'echo' })).toMatchObject({ org: orgA });
  }, 30_000);

  it('refuses hosts the manifest does not declare, through ctx.http and fetch alike', async () => {
    for (const mode of ['host', 'fetch']) {
      const failure = await failureOf(call(orgA, { mode }));
      expect(failure.error).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    }
  });

  it('serves the books in the caller organization only, within the manifest permissions', async () => {
    const created = (await call(orgB, { mode: 'customer', name: 'Made by B' })) as { id: string; organizationId: string };
    expect(created.organizationId).toBe(orgB);
    expect((await hub.core.services.customers.get(orgB, created.id)).businessName).toBe('Made by B');
    await expect(hub.core.services.customers.get(orgA, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const refused = await failureOf(call(orgA, { mode: 'invoice' }));
    expect(refused.error).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
  });

  it('keeps each organization in its own worker, and credentials out of the logs', async () => {
    expect(await call(orgA, { mode: 'remember' }, 'sk_secret_A_123')).toEqual(['sk_secret_A_123']);
    expect(await call(orgB, { mode: 'remember' }, 'sk_secret_B_456')).toEqual(['sk_secret_B_456']);
    expect(await call(orgA, { mode: 'remember' }, 'sk_secret_A_123')).toEqual(['sk_secret_A_123', 'sk_secret_A_123']);
    const logged = logLines.join('');
    expect(logged).toContain('using key [redacted]');
    expect(logged).not.toContain('sk_secret_');
  });
});
