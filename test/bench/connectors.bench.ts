/**
 * Connector boundary benchmark: domain events from the `uah.events` exchange (RabbitMQ) through a no-op
 * connector `onEvent` handler, once across the worker boundary (the hub's runtime: a message to the
 * connector's worker thread and back) and once called in-process, with the same queue settings. Also
 * the cost of one call across the boundary, measured sequentially. Prints `worker_events_per_s=`,
 * `inprocess_events_per_s=`, `boundary_us_per_call=` and `direct_us_per_call=`.
 *
 *   npm run bench:connectors                 # 5000 events, consumer concurrency 4
 *   BENCH_EVENTS=20000 BENCH_CONCURRENCY=8 npm run bench:connectors
 *
 * Environment: BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), BENCH_EVENTS, BENCH_CONCURRENCY,
 * BENCH_CALLS (sequential calls for the per-call figure, default 5000). Queues are made and deleted by the run.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { Connection } from 'rabbitmq-client';
import { createAmqpBus, type Bus } from '@uah/core';
import type { Connector, ConnectorContext } from '@uah/connector-sdk';
import type { Event } from '@uah/schemas';
import { createCatalog } from '../../hub/src/connectors/catalog.js';
import { createConnectorRuntime, DEFAULT_TIMEOUTS, type ConnectorRuntime } from '../../hub/src/connectors/runtime.js';
import { connectorFolder, connectorSource, testManifest } from '../connectors/fixtures.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 5000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 4);
const CALLS = Number(process.env['BENCH_CALLS'] ?? 5000);
const AMQP_URL = process.env['BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const silent = pino({ level: 'silent' });
const print = (line: string): void => void process.stdout.write(`${line}\n`);
const run = randomBytes(4).toString('hex');
const ORG = `org_bench${run}`;

function events(n: number): Event[] {
  const now = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    id: `evt_bench${run}${String(i).padStart(8, '0')}`, type: 'customer.created', aggregateId: `cus_${i}`, aggregateType: 'customer', organizationId: ORG,
    data: { object: { id: `cus_${i}`, n: i } }, metadata: { source: 'API' }, version: 1, timestamp: now,
  }) as unknown as Event);
}

/** Publishes `n` events and resolves with events/s once the consumer's handler has seen them all. */
async function throughput(bus: Bus, admin: Connection, name: string, handle: (event: Event) => Promise<void>): Promise<number> {
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const queue = `uah-bench.${run}.${name}`;
  const consumer = await bus.consume({ queue, bindings: [`${ORG}.customer.created`], concurrency: CONCURRENCY, handler: async (event) => {
    await handle(event);
    if (++seen === EVENTS) done();
  } });
  const started = performance.now();
  const batch = events(EVENTS);
  for (let i = 0; i < batch.length; i += 500) await bus.publish(batch.slice(i, i + 500));
  await all;
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  for (const q of [queue, `${queue}.parking`, ...[1, 2, 3, 4].map((n) => `${queue}.retry.${n}`)]) await admin.queueDelete({ queue: q });
  return EVENTS / seconds;
}

async function perCall(call: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await call();
  const started = performance.now();
  for (let i = 0; i < n; i++) await call();
  return ((performance.now() - started) * 1000) / n;
}

async function main(): Promise<void> {
  const folder = connectorFolder();
  const dir = folder.add('noop', { manifest: testManifest('noop', { events: ['customer.created'] }), source: connectorSource({ extra: 'onEvent: async () => {},' }) });
  const catalog = await createCatalog({ search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 128 }, loadTimeoutMs: 20_000 });
  const runtime: ConnectorRuntime = createConnectorRuntime({
    catalog, books: { call: () => Promise.reject(new Error('not used')) }, knex: undefined as never, logger: silent, limits: { maxOldGenerationSizeMb: 128 },
    timeouts: DEFAULT_TIMEOUTS, idleMs: 60_000, loadTimeoutMs: 20_000, onFailure: () => undefined,
  });
  const inProcess = ((await import(pathToFileURL(`${dir}/src/index.ts`).href)) as { default: Connector }).default;
  const ctx = { organizationId: ORG } as ConnectorContext;
  const viaWorker = (event: Event): Promise<unknown> => runtime.invoke({ connectorId: 'noop', version: '1.0.0', organizationId: ORG, credentials: { apiKey: 'bench-key-000' }, config: {}, cause: { source: 'IMPORT', causationId: event.id }, kind: 'onEvent', args: [event] });
  const direct = (event: Event): Promise<void> => inProcess.onEvent!(ctx, event);

  const bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  const admin = new Connection(AMQP_URL);
  try {
    const sample = events(1)[0]!;
    print(`boundary_us_per_call=${(await perCall(() => viaWorker(sample), CALLS)).toFixed(1)}`);
    print(`direct_us_per_call=${(await perCall(() => direct(sample), CALLS)).toFixed(2)}`);
    print(`worker_events_per_s=${(await throughput(bus, admin, 'worker', async (e) => void (await viaWorker(e)))).toFixed(0)}`);
    print(`inprocess_events_per_s=${(await throughput(bus, admin, 'inprocess', direct)).toFixed(0)}`);
    print(`events=${EVENTS} concurrency=${CONCURRENCY} calls=${CALLS}`);
  } finally {
    await runtime.stop();
    await admin.close();
    await bus.close();
    folder.remove();
  }
}

await main();
