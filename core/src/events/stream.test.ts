import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Knex } from 'knex';
import type { Event, EventType } from '@uah/schemas';
import { createTestDatabase } from '../testing/database.js';
import { AppError } from '../http/errors.js';
import { createEventStore, type EventStore } from './store.js';
import { createEventTail, type EventTail, type EventTailSubscription } from './stream.js';

const logger = pino({ level: 'silent' });
const meta = { source: 'SYSTEM' as const };

/** Waits for a condition; generous, because the full suite loads both cores while this file runs. */
async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the event tail', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;
  let tail: EventTail;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = createEventStore(db.knex);
    tail = createEventTail({ knex: db.knex, logger, pollMs: 10, backlogPageSize: 3, batchSize: 4 });
  });
  afterAll(async () => {
    await tail.close();
    await db.close();
  });

  function newEvent(organizationId: string, type: EventType) {
    n += 1;
    return { type, organizationId, aggregateType: 'customer', aggregateId: `cus_t${n}`, data: { object: { n } } };
  }

  async function append(organizationId: string, type: EventType = 'customer.created', trx?: Knex.Transaction): Promise<Event> {
    const write = async (t: Knex.Transaction): Promise<Event> => {
      const [event] = await store.append(t, [newEvent(organizationId, type)], meta);
      if (!event) throw new Error('no event appended');
      return event;
    };
    return trx ? write(trx) : db.knex.transaction(write);
  }

  /**
   * Every event of an organization in the log's order, as the REST list returns them, page after page: a
   * writer left running while a slow subscriber catches up can write more than one page.
   */
  async function logOf(organizationId: string): Promise<Event[]> {
    const log: Event[] = [];
    for (;;) {
      const last = log[log.length - 1];
      const page = (await store.list(organizationId, { limit: 100, ...(last ? { after: last.id } : {}) })).data;
      log.push(...page);
      if (page.length < 100) return log;
    }
  }

  function subscribe(request: EventTailSubscription, hooks: { drain?: () => Promise<void> } = {}) {
    const received: Event[] = [];
    const errors: unknown[] = [];
    let ready: string | null | undefined;
    const unsubscribe = tail.subscribe(request, (event) => received.push(event), {
      onReady: (after) => {
        ready = after;
      },
      onError: (error) => errors.push(error),
      ...hooks,
    });
    open.add(unsubscribe);
    const stop = (): void => {
      open.delete(unsubscribe);
      unsubscribe();
    };
    return { received, errors, stop, ready: () => ready, isReady: () => ready !== undefined };
  }
  /** Subscriptions a failed test left open are ended, so one failure does not spill into the next test. */
  const open = new Set<() => void>();
  afterEach(() => {
    for (const unsubscribe of open) unsubscribe();
    open.clear();
  });

  it('delivers the events committed after it is ready, in log order, as the REST list returns them, and only its organization’s', async () => {
    const before = await append('org_live');
    const s = subscribe({ organizationId: 'org_live' });
    await until(s.isReady, 'ready');
    expect(s.ready()).toBe(before.id);
    const created: Event[] = [];
    for (let i = 0; i < 10; i++) {
      created.push(await append('org_live', i % 2 ? 'invoice.paid' : 'customer.created'));
      await append('org_other');
    }
    await until(() => s.received.length === 10, '10 events');
    await sleep(50);
    s.stop();
    expect(s.received).toEqual(created);
    expect(s.received).toEqual((await logOf('org_live')).slice(1));
    expect(s.errors).toEqual([]);
  });

  it('replays the backlog after `after`, then continues live, with no gap and no duplicate while events keep coming', async () => {
    const first = [await append('org_resume'), await append('org_resume'), await append('org_resume')];
    for (let i = 0; i < 20; i++) await append('org_resume');
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await append('org_resume');
        await append('org_noise');
      }
    })();
    // A slow consumer: the backlog takes several polls to read, so live batches are fanned out meanwhile.
    const s = subscribe({ organizationId: 'org_resume', after: first[1]?.id }, { drain: () => sleep(15) });
    await until(() => s.received.length >= 40, '40 events');
    writing = false;
    await writer;
    const log = await logOf('org_resume');
    await until(() => s.received.length >= log.length - 2, `the rest (${log.length - 2} events)`);
    await sleep(50);
    s.stop();
    expect(s.ready()).toBe(first[1]?.id);
    expect(s.received.map((e) => e.id)).toEqual(log.slice(2).map((e) => e.id));
    expect(s.received).toEqual(log.slice(2));
  });

  it('filters by type, in the backlog and live', async () => {
    const paid = [await append('org_types', 'invoice.paid')];
    await append('org_types', 'customer.created');
    const s = subscribe({ organizationId: 'org_types', types: ['invoice.paid', 'payment.succeeded'], from: 'start' });
    await until(s.isReady, 'ready');
    expect(s.ready()).toBeNull();
    await append('org_types', 'customer.updated');
    paid.push(await append('org_types', 'payment.succeeded'));
    paid.push(await append('org_types', 'invoice.paid'));
    await until(() => s.received.length === 3, '3 events');
    await sleep(50);
    s.stop();
    expect(s.received).toEqual(paid);
  });

  it('holds back an event whose transaction began writing first until an older-seq transaction still open ends, then delivers both in seq order', async () => {
    const s = subscribe({ organizationId: 'org_order' });
    await until(s.isReady, 'ready');
    // A takes its transaction id first; B takes a later one but appends (takes its seq) before A does.
    const trxA = await db.knex.transaction();
    const trxB = await db.knex.transaction();
    try {
      await trxA.raw('SELECT pg_current_xact_id()');
      await trxB.raw('SELECT pg_current_xact_id()');
      const eventB = await append('org_order', 'customer.created', trxB);
      const eventA = await append('org_order', 'customer.updated', trxA);
      await trxA.commit();
      // The orders disagree: A has the older transaction id and the higher seq. With B's xid the oldest
      // running, A alone passes `tx_id < xmin`, and a seq cursor moved past A would skip B.
      const rows = (await trxB('events').select('id', 'seq', db.knex.raw('tx_id::text::bigint AS xid')).whereIn('id', [eventA.id, eventB.id]).orderBy('seq')) as Array<{ id: string; xid: number }>;
      expect(rows.map((r) => r.id)).toEqual([eventB.id, eventA.id]);
      expect(rows[1]?.xid).toBeLessThan(rows[0]?.xid ?? 0);
      await sleep(150);
      expect(s.received).toEqual([]);
      await trxB.commit();
      await until(() => s.received.length === 2, 'both events');
      expect(s.received.map((e) => e.id)).toEqual([eventB.id, eventA.id]);
    } finally {
      if (!trxA.isCompleted()) await trxA.rollback();
      if (!trxB.isCompleted()) await trxB.rollback();
      s.stop();
    }
  });

  it('passes over the seq of a rolled-back transaction', async () => {
    const s = subscribe({ organizationId: 'org_rollback' });
    await until(s.isReady, 'ready');
    const trx = await db.knex.transaction();
    await append('org_rollback', 'customer.created', trx);
    const kept = await append('org_rollback', 'customer.updated');
    await trx.rollback();
    const later = await append('org_rollback', 'customer.deactivated');
    await until(() => s.received.length === 2, 'two events');
    s.stop();
    expect(s.received.map((e) => e.id)).toEqual([kept.id, later.id]);
  });

  it('paces a long backlog with the drain hook, page by page', async () => {
    for (let i = 0; i < 8; i++) await append('org_drain');
    let drains = 0;
    const s = subscribe({ organizationId: 'org_drain', from: 'start' }, { drain: async () => void (drains += 1) });
    await until(() => s.received.length === 8, '8 events');
    s.stop();
    // Pages of 3: 3 + 3 + 2, the drain hook awaited after each.
    expect(drains).toBe(3);
    expect(s.received).toEqual(await logOf('org_drain'));
  });

  it('refuses an unknown `after` with a validation error, and ends a subscriber whose handler throws', async () => {
    const unknown = subscribe({ organizationId: 'org_live', after: 'evt_00000000000000000000000000' });
    await until(() => unknown.errors.length === 1, 'the error');
    expect(unknown.errors[0]).toBeInstanceOf(AppError);
    expect(unknown.errors[0]).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/after', in: 'query', message: 'unknown event id' }] });
    expect(unknown.isReady()).toBe(false);

    const errors: unknown[] = [];
    let ready = false;
    tail.subscribe({ organizationId: 'org_throw' }, () => {
      throw new Error('handler failed');
    }, { onReady: () => void (ready = true), onError: (e) => errors.push(e) });
    await until(() => ready, 'ready');
    await append('org_throw');
    await until(() => errors.length === 1, 'the error');
    expect((errors[0] as Error).message).toBe('handler failed');
    expect(tail.size).toBe(0);
  });

  it('polls only while someone is subscribed', async () => {
    // Every statement takes a connection from the pool (knex's queries and the prepared ones alike).
    const pool = db.knex.client as { acquireConnection(): Promise<unknown> };
    const acquire = pool.acquireConnection.bind(pool);
    let queries = 0;
    pool.acquireConnection = () => {
      queries++;
      return acquire();
    };
    try {
      expect(tail.size).toBe(0);
      await sleep(100);
      expect(queries).toBe(0);
      const s = subscribe({ organizationId: 'org_idle' });
      await until(s.isReady, 'ready');
      const ready = queries;
      await sleep(60);
      expect(queries - ready).toBeGreaterThan(2);
      s.stop();
      await sleep(30);
      const count = queries;
      await sleep(100);
      expect(queries).toBe(count);
    } finally {
      pool.acquireConnection = acquire;
    }
  });
});
