import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { Connection } from 'rabbitmq-client';
import type { Event, EventType } from '@uah/schemas';
import { createDatabase } from '../db/database.js';
import { createTestDatabase } from '../testing/database.js';
import { createAmqpBus, parkingQueueName, retryQueueName } from './amqp-bus.js';
import { EVENTS_EXCHANGE, type Bus, type ConsumerOptions, type Delivery } from './bus.js';
import { createMemoryBus } from './memory-bus.js';
import { createRelay, RELAY_LOCK_KEY, type Relay } from './relay.js';
import { createEventStore, rowToEvent, type NewEvent } from './store.js';

const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = randomBytes(4).toString('hex');
const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
const execFileAsync = promisify(execFile);

type Db = Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let consumerBus: Bus;
let relayBus: Bus;
let admin: Connection;

beforeAll(async () => {
  db = await createTestDatabase();
  consumerBus = await createAmqpBus({ url: AMQP_URL, logger, connectionName: `uah-test-consumer-${run}` });
  relayBus = await createAmqpBus({ url: AMQP_URL, logger, connectionName: `uah-test-relays-${run}` });
  admin = new Connection(AMQP_URL);
  admin.on('error', () => undefined);
});

afterAll(async () => {
  await consumerBus?.close();
  await relayBus?.close();
  await admin?.close();
  await db?.close();
});

function newEvent(organizationId: string, type: EventType, aggregateId: string, n: number): NewEvent {
  return { type, aggregateType: 'invoice', aggregateId, organizationId, data: { object: { id: aggregateId, n, note: 'ünïcode ✓' } } };
}

function append(events: NewEvent[]): Promise<Event[]> {
  const store = createEventStore(db.knex);
  return db.knex.transaction((trx) => store.append(trx, events, { source: 'SYSTEM' }));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A consumer that records what it receives; its queues are deleted at the end of the test. */
async function collect(name: string, options: Partial<ConsumerOptions> & { bindings: string[] }) {
  const queue = `uah-test.${run}.${name}`;
  const received: Array<{ event: Event; delivery: Delivery }> = [];
  const consumer = await consumerBus.consume({ queue, handler: async (event, delivery) => void received.push({ event, delivery }), ...options });
  return {
    queue,
    received,
    ids: () => received.map((r) => r.event.id),
    async dispose() {
      await consumer.close();
      const retries = Array.from({ length: (options.maxAttempts ?? 5) - 1 }, (_, i) => retryQueueName(queue, i + 1));
      for (const name of [queue, parkingQueueName(queue), ...retries]) await admin.queueDelete({ queue: name });
    },
  };
}

function startRelay(bus: Bus, options: { batchSize?: number; lockRetryMs?: number; logger?: Logger } = {}): Relay {
  const relay = createRelay({ knex: db.knex, bus, logger, embedded: false, idleMs: 20, ...options });
  relay.start();
  return relay;
}

/** Closes one connection from the server side, as a broker restart or a network cut would (once it is up). */
async function dropConnection(connectionName: string): Promise<void> {
  let pid: string | undefined;
  await waitFor(async () => {
    const { stdout } = await execFileAsync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers']);
    pid = stdout.split('\n').find((line) => line.includes(`"${connectionName}"`))?.split('\t')[0];
    return pid !== undefined;
  }, 15_000);
  await execFileAsync('rabbitmqctl', ['close_connection', pid ?? '', 'relay test: connection drop']);
}

/** A TCP relay to RabbitMQ whose sockets can be cut at an exact moment, which `rabbitmqctl` cannot time. */
async function createCuttableProxy(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(AMQP_URL);
  const sockets = new Set<Socket>();
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5672), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${target.protocol}//${target.username}:${target.password}@127.0.0.1:${port}${target.pathname}`,
    cut,
    close: () => new Promise<void>((resolve) => {
      cut();
      server.close(() => resolve());
    }),
  };
}

describe('relay with PostgreSQL and RabbitMQ', () => {
  it('publishes a committed event exactly as stored, and never a rolled-back one', async () => {
    const org = `org_exact${run}`;
    const sink = await collect('exact', { bindings: [`${org}.#`] });
    const raw = `uah-test.${run}.raw`;
    await admin.queueDeclare({ queue: raw, exclusive: true });
    await admin.queueBind({ queue: raw, exchange: EVENTS_EXCHANGE, routingKey: `${org}.invoice.*` });
    const relay = startRelay(relayBus);
    try {
      const [stored] = await append([newEvent(org, 'invoice.created', 'inv_exact', 1)]);
      let rolledBack: Event[] = [];
      const store = createEventStore(db.knex);
      await expect(
        db.knex.transaction(async (trx) => {
          rolledBack = await store.append(trx, [newEvent(org, 'invoice.paid', 'inv_exact', 2)], { source: 'SYSTEM' });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const [later] = await append([newEvent(org, 'invoice.sent', 'inv_exact', 3)]);
      await waitFor(() => sink.ids().includes(later?.id ?? ''));

      const row: Parameters<typeof rowToEvent>[0] & { publishedAt: Date | null } = await db.knex('events').where({ id: stored?.id }).first();
      expect(sink.received[0]?.event).toEqual(rowToEvent(row));
      expect(sink.received[0]?.delivery).toEqual({ attempt: 1, routingKey: `${org}.invoice.created` });
      expect(row.publishedAt).toBeInstanceOf(Date);
      expect(sink.ids()).toEqual([stored?.id, later?.id]);
      expect(sink.ids()).not.toContain(rolledBack[0]?.id);

      const message = await admin.basicGet({ queue: raw, noAck: true });
      expect(message).toMatchObject({ routingKey: `${org}.invoice.created`, messageId: stored?.id, type: 'invoice.created', contentType: 'application/json', durable: true, body: rowToEvent(row) });
    } finally {
      await relay.stop();
      await sink.dispose();
      await admin.queueDelete({ queue: raw });
    }
  });

  it('keeps the order of each aggregate across batches and concurrent writers', async () => {
    const org = `org_order${run}`;
    const sink = await collect('order', { bindings: [`${org}.#`] });
    const relay = startRelay(relayBus, { batchSize: 7 });
    try {
      const aggregates = ['inv_a', 'inv_b', 'inv_c'];
      await Promise.all(aggregates.map(async (id) => {
        for (let n = 1; n <= 30; n++) await append([newEvent(org, 'invoice.sent', id, n)]);
      }));
      await waitFor(() => sink.received.length >= 90);
      for (const id of aggregates) {
        const versions = sink.received.filter((r) => r.event.aggregateId === id).map((r) => r.event.version);
        expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      }
    } finally {
      await relay.stop();
      await sink.dispose();
    }
  });

  it('loses nothing when the RabbitMQ connection drops in the middle of a burst', async () => {
    const org = `org_drop${run}`;
    const sink = await collect('drop', { bindings: [`${org}.#`], concurrency: 50 });
    const proxy = await createCuttableProxy();
    const log: string[] = [];
    const capturing = pino({ level: 'info' }, { write: (line: string) => void log.push(line) });
    const connectionName = `uah-test-relay-${run}`;
    const bus = await createAmqpBus({ url: proxy.url, logger: capturing, connectionName });
    const attempts = new Map<string, number>();
    let cutArmed = false;
    const counting: Bus = {
      ...bus,
      publish(events) {
        for (const event of events) attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
        const sent = bus.publish(events);
        // Cut the socket while this batch waits for its confirms (once connected): a drop that surely hits
        // publishes in flight. The confirms need a network round trip, so a microtask later is still in time.
        if (cutArmed) {
          void bus.check().then(() => {
            if (!cutArmed) return;
            cutArmed = false;
            proxy.cut();
          }, () => undefined);
        }
        return sent;
      },
    };
    const relay = startRelay(counting, { logger: capturing });
    const written: string[] = [];
    // Four writers of small transactions keep the relay publishing all along.
    const writePhase = (phase: number): Promise<unknown> => Promise.all([0, 1, 2, 3].map(async (writer) => {
      for (let tx = 0; tx < 50; tx++) {
        const events = await append(Array.from({ length: 5 }, (_, i) => newEvent(org, 'payment.succeeded', `pay_${phase}_${writer}_${tx}`, i)));
        written.push(...events.map((e) => e.id));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }));
    try {
      // First half: a close from the server side while the writers run.
      const firstHalf = writePhase(1);
      await waitFor(() => written.length >= 400);
      await dropConnection(connectionName);
      await firstHalf;
      // Second half, once reconnected: the socket is cut under the next batch in flight.
      await waitFor(() => bus.check().then(() => true, () => false));
      cutArmed = true;
      await writePhase(2);
      await waitFor(() => new Set(sink.ids()).size === written.length, 40_000);

      // Marked after the confirms, which may come a little after the consumer has the messages.
      const unpublished = async (): Promise<number> => (await db.knex.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM events WHERE organization_id = ? AND published_at IS NULL', [org])).rows[0]?.n ?? -1;
      await waitFor(async () => (await unpublished()) === 0, 15_000);
      expect(new Set(sink.ids())).toEqual(new Set(written));
      const count = (text: string): number => log.filter((line) => line.includes(text)).length;
      expect(count('RabbitMQ connection established')).toBeGreaterThanOrEqual(3);
      expect(count('could not publish')).toBeGreaterThanOrEqual(1);
      const republished = [...attempts.values()].filter((n) => n > 1).length;
      const duplicates = sink.received.length - new Set(sink.ids()).size;
      // At least once: only a batch in flight at a drop may go out twice.
      expect(republished).toBeLessThanOrEqual(2 * 500);
      expect(duplicates).toBeLessThanOrEqual(republished);
      const figures = { events: written.length, publishFailures: count('could not publish'), republished, duplicates };
      pino().info(figures, 'relay connection-drop figures');
    } finally {
      await relay.stop();
      await sink.dispose();
      await bus.close();
      await proxy.close();
    }
  });

  it('lets one relay publish at a time and hands over when its session ends', async () => {
    const org = `org_lock${run}`;
    const sink = await collect('lock', { bindings: [`${org}.#`] });
    const counts = { a: 0, b: 0 };
    const countingBus = (key: 'a' | 'b'): Bus => ({
      ...relayBus,
      publish(events) {
        counts[key] += events.length;
        return relayBus.publish(events);
      },
    });
    const first = startRelay(countingBus('a'), { lockRetryMs: 100 });
    await first.runOnce(); // takes the lock before the second relay starts
    const second = startRelay(countingBus('b'), { lockRetryMs: 100 });
    try {
      await append([newEvent(org, 'invoice.created', 'inv_lock', 1), newEvent(org, 'invoice.sent', 'inv_lock', 2)]);
      await waitFor(() => sink.received.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(counts).toEqual({ a: 2, b: 0 });

      // The holder's session ends, as when its process dies: PostgreSQL releases the lock.
      const killed = await db.knex.raw<{ rows: Array<{ killed: boolean }> }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objsubid = 2
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND objid = (hashtext(current_schema())::bigint & 4294967295)::oid AND granted`,
        [RELAY_LOCK_KEY],
      );
      expect(killed.rows).toEqual([{ killed: true }]);
      await append([newEvent(org, 'invoice.paid', 'inv_lock', 3)]);
      await waitFor(() => sink.received.length === 3, 15_000);
      expect(counts.a + counts.b).toBe(3);
    } finally {
      await first.stop();
      await second.stop();
      await sink.dispose();
    }
  });

  it('reports its lag and keeps the events when the bus refuses them', async () => {
    const org = `org_lag${run}`;
    const failing: Bus = { ...relayBus, publish: () => Promise.reject(new Error('broker unavailable')) };
    const relay = createRelay({ knex: db.knex, bus: failing, logger, embedded: false });
    try {
      await append([newEvent(org, 'invoice.created', 'inv_lag', 1)]);
      await expect(relay.runOnce()).rejects.toThrow('broker unavailable');
      const lag = await relay.lag();
      expect(lag.events).toBeGreaterThanOrEqual(1);
      expect(lag.seconds).toBeGreaterThanOrEqual(0);
      const row: { publishedAt: Date | null } = await db.knex('events').where({ aggregate_id: 'inv_lag' }).first();
      expect(row.publishedAt).toBeNull();
    } finally {
      await relay.stop();
    }
  });
});

describe('AMQP consumer retries', () => {
  it('retries through delay queues with the original routing key, then parks', async () => {
    const org = `org_retry${run}`;
    const attempts = new Map<string, Delivery[]>();
    const sink = await collect('retry', {
      bindings: [`${org}.#`],
      maxAttempts: 3,
      retryDelaysMs: [100, 200],
      handler: async (event, delivery) => {
        attempts.set(event.id, [...(attempts.get(event.id) ?? []), delivery]);
        if (event.type === 'payment.failed') throw new Error('always fails');
        if (delivery.attempt < 3) throw new Error('not yet');
      },
    });
    try {
      const [flaky, poison] = (['payment.succeeded', 'payment.failed'] as const).map((type, i): Event => ({
        ...newEvent(org, type, 'pay_r', i),
        data: { object: { id: 'pay_r', n: i } },
        id: `evt_retry${run}${i}`,
        object: 'event',
        metadata: { source: 'SYSTEM' },
        version: i + 1,
        timestamp: new Date().toISOString(),
      }));
      if (!flaky || !poison) throw new Error('two events expected');
      await consumerBus.publish([flaky, poison]);
      const publisher = admin.createPublisher({ confirm: true });
      await publisher.send({ exchange: EVENTS_EXCHANGE, routingKey: `${org}.invoice.paid`, contentType: 'application/json' }, Buffer.from('{not json'));
      await publisher.close();

      const parking = parkingQueueName(sink.queue);
      await waitFor(async () => (await consumerBus.queueDepths()).some((d) => d.queue === parking && d.messages === 2), 10_000);
      expect(attempts.get(flaky.id)?.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(attempts.get(flaky.id)?.every((d) => d.routingKey === `${org}.payment.succeeded`)).toBe(true);
      expect(attempts.get(poison.id)?.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(await consumerBus.queueDepths()).toEqual(expect.arrayContaining([{ queue: sink.queue, messages: 0 }, { queue: parking, messages: 2 }]));

      const parked = [await admin.basicGet({ queue: parking, noAck: true }), await admin.basicGet({ queue: parking, noAck: true })];
      const byError = new Map(parked.map((m) => [String(m?.headers?.['x-last-error']), m]));
      expect(byError.get('always fails')).toMatchObject({ messageId: poison.id, body: poison, headers: { 'x-attempt': 3, 'x-original-routing-key': `${org}.payment.failed` } });
      expect(byError.get('malformed message: not a JSON event')?.body).toEqual(Buffer.from('{not json'));
    } finally {
      await sink.dispose();
    }
  });
});

describe('relay on embedded PostgreSQL', () => {
  it('publishes without an advisory lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uah-relay-'));
    const embedded = await createDatabase({ dataDir: dir });
    const bus = createMemoryBus({ logger });
    try {
      await embedded.migrate();
      const received: string[] = [];
      await bus.consume({ queue: 'all', bindings: ['#'], handler: async (event) => void received.push(event.id) });
      const store = createEventStore(embedded.knex);
      const stored = await embedded.knex.transaction((trx) => store.append(trx, [newEvent('org_e', 'invoice.created', 'inv_e', 1)], { source: 'SYSTEM' }));
      const relay = createRelay({ knex: embedded.knex, bus, logger, embedded: true });
      expect(await relay.runOnce()).toBe(1);
      await waitFor(() => received.length === 1);
      expect(received).toEqual(stored.map((e) => e.id));
      expect(await relay.lag()).toEqual({ events: 0, seconds: 0 });
      await relay.stop();
    } finally {
      await bus.close();
      await embedded.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
