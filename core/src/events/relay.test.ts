import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { Connection } from 'rabbitmq-client';
import type { Event } from '@uah/schemas';
import { createDatabase } from '../db/database.js';
import { createTestDatabase } from '../testing/database.js';
import { createAmqpBus } from './amqp-bus.js';
import { EVENTS_EXCHANGE, type Bus } from './bus.js';
import { createMemoryBus } from './memory-bus.js';
import { createRelay, PUBLISHED_THROUGH, RELAY_LOCK_KEY, type Relay } from './relay.js';
import { createEventStore, rowToEvent, type NewEvent } from './store.js';
import { AMQP_URL, TEST_QUEUE_PREFIX, createCollector, createCuttableProxy, dropConnection, newEvent, waitFor } from './testing.js';

const run = randomBytes(4).toString('hex');
const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

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

/** Whether the relay has marked the event published (the cursor has passed it). */
async function published(eventId: string): Promise<boolean> {
  const { rows } = await db.knex.raw<{ rows: Array<{ published: boolean }> }>(`SELECT seq <= ${PUBLISHED_THROUGH} AS published FROM events WHERE id = ?`, [eventId]);
  return rows[0]?.published === true;
}

const collect: ReturnType<typeof createCollector> = (name, options) => createCollector(consumerBus, admin, run)(name, options);

afterAll(async () => {
  await consumerBus?.close();
  await relayBus?.close();
  await admin?.close();
  await db?.close();
});

function append(events: NewEvent[]): Promise<Event[]> {
  const store = createEventStore(db.knex);
  return db.knex.transaction((trx) => store.append(trx, events, { source: 'SYSTEM' }));
}

function startRelay(bus: Bus, options: { batchSize?: number; lockRetryMs?: number; logger?: Logger } = {}): Relay {
  const relay = createRelay({ knex: db.knex, bus, logger, embedded: false, idleMs: 20, ...options });
  relay.start();
  return relay;
}

describe('relay with PostgreSQL and RabbitMQ', () => {
  it('publishes a committed event exactly as stored, and never a rolled-back one', async () => {
    const org = `org_exact${run}`;
    const sink = await collect('exact', { bindings: [`${org}.#`] });
    const raw = `${TEST_QUEUE_PREFIX}${run}.raw`;
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
      // A consumer can hold a message before the relay has its confirm and marks the row published.
      await waitFor(async () => await published(later?.id ?? ''));

      const row: Parameters<typeof rowToEvent>[0] = await db.knex('events').where({ id: stored?.id }).first();
      expect(sink.received[0]?.event).toEqual(rowToEvent(row));
      expect(sink.received[0]?.delivery).toEqual({ attempt: 1, routingKey: `${org}.invoice.created` });
      expect(await published(stored?.id ?? '')).toBe(true);
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
      const unpublished = async (): Promise<number> => (await db.knex.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM events WHERE organization_id = ? AND seq > ${PUBLISHED_THROUGH}`, [org])).rows[0]?.n ?? -1;
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

  it('publishes the next batch while one waits for its confirms, and marks nothing past a batch that failed (nor crashes when a later one fails first)', async () => {
    const org = `org_pipe${run}`;
    const sent: Array<{ ids: string[]; confirm: () => void; fail: (err: Error) => void }> = [];
    const held: Bus = {
      ...relayBus,
      publish: (events) => new Promise<void>((resolve, reject) => void sent.push({ ids: events.map((event) => event.id), confirm: resolve, fail: reject })),
    };
    const relay = startRelay(held, { batchSize: 4 });
    const mine = new Set<string>();
    const ours = (batch: { ids: string[] } | undefined): string[] => (batch?.ids ?? []).filter((id) => mine.has(id));
    try {
      const first = (await append([newEvent(org, 'invoice.created', 'inv_pipe', 1), newEvent(org, 'invoice.sent', 'inv_pipe', 2)])).map((event) => event.id);
      first.forEach((id) => mine.add(id));
      await waitFor(() => sent.length === 1);
      const second = (await append([newEvent(org, 'invoice.paid', 'inv_pipe', 3), newEvent(org, 'invoice.updated', 'inv_pipe', 4)])).map((event) => event.id);
      second.forEach((id) => mine.add(id));
      // Handed over while the first batch still waits for its confirms.
      await waitFor(() => sent.length === 2);
      expect([ours(sent[0]), ours(sent[1])]).toEqual([first, second]);

      // Confirmed out of order: the second is not marked before the first.
      sent[1]?.confirm();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await published(second[0] ?? '')).toBe(false);

      // The first fails: neither is marked, and the relay starts again from the cursor, in order.
      sent[0]?.fail(new Error('channel closed'));
      await waitFor(() => sent.length === 3, 5_000);
      expect(ours(sent[2])).toEqual([...first, ...second]);
      expect(await published(first[0] ?? '')).toBe(false);
      sent[2]?.confirm();
      await waitFor(async () => await published(second[1] ?? ''));
      expect(sent).toHaveLength(3);

      // A later batch fails while the one before it waits (no unhandled rejection), and that one is confirmed:
      // it alone is marked, and the relay starts again after it.
      const third = (await append([newEvent(org, 'invoice.created', 'inv_pipe_2', 1)])).map((event) => event.id);
      third.forEach((id) => mine.add(id));
      await waitFor(() => sent.length === 4);
      const fourth = (await append([newEvent(org, 'invoice.sent', 'inv_pipe_2', 2)])).map((event) => event.id);
      fourth.forEach((id) => mine.add(id));
      await waitFor(() => sent.length === 5);
      sent[4]?.fail(new Error('channel closed'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      sent[3]?.confirm();
      await waitFor(() => sent.length === 6, 5_000);
      expect(ours(sent[5])).toEqual(fourth);
      expect(await published(third[0] ?? '')).toBe(true);
      expect(await published(fourth[0] ?? '')).toBe(false);
      sent[5]?.confirm();
      await waitFor(async () => await published(fourth[0] ?? ''));
    } finally {
      for (const batch of sent) batch.confirm();
      await relay.stop();
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
      const row: { id: string } = await db.knex('events').where({ aggregate_id: 'inv_lag' }).first();
      expect(await published(row.id)).toBe(false);
    } finally {
      await relay.stop();
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
