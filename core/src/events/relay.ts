import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Event } from '@uah/schemas';
import { preparedQuery } from '../db/prepared.js';
import { PublishError, type Bus } from './bus.js';
import { rowToEvent } from './store.js';
import { createSettledWatermark } from './watermark.js';
import { OUTBOX_CHANNEL, type OutboxSignal } from './outbox-signal.js';

export interface RelayOptions {
  knex: Knex;
  bus: Bus;
  logger: Logger;
  /** PGlite: one connection whose data folder is already locked to this process, so no advisory lock. */
  embedded: boolean;
  /** Events selected and published per round trip. @default 500 */
  batchSize?: number;
  /** Hears of committed events (`core.outboxSignal`): the relay publishes them at once instead of at its next poll. */
  signal?: OutboxSignal;
  /** Pause after a batch that was not full, when nothing signals committed events (the fallback poll). @default 100 */
  idleMs?: number;
  /** Pause while events are committed but transactions older than them still run (see watermark.ts). @default 5 */
  settleMs?: number;
  /** Pause between attempts to take the lock while another process holds it. @default 3000 */
  lockRetryMs?: number;
}

export interface RelayLag {
  /** Committed events not yet published. */
  events: number;
  /** Age of the oldest of them. */
  seconds: number;
}

export interface Relay {
  start(): void;
  /** Finishes the batch in flight, publishes what is committed, releases the lock, then resolves. */
  stop(): Promise<void>;
  /** Publishes one batch (after taking the lock if needed); resolves with the number published. */
  runOnce(): Promise<number>;
  lag(): Promise<RelayLag>;
}

/**
 * First key of the relay's advisory lock ("uahr"); the second is a hash of the schema, so that relays of
 * different schemas in one database (each test file has its own) do not exclude each other.
 */
export const RELAY_LOCK_KEY = 0x75616872;
/**
 * The highest `seq` the relay has published, with every event before it (migration 0018): events above it
 * are the outbox's. A subquery, for use in a condition on `events.seq`.
 */
export const PUBLISHED_THROUGH = '(SELECT seq FROM event_relay_cursor)';
const LOCK_ARGS = `${RELAY_LOCK_KEY}, hashtext(current_schema())`;
/** A held lock's connection is checked this often, so a dead session is noticed and the lock taken again. */
const LOCK_VERIFY_MS = 5_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5_000;

type EventRow = Parameters<typeof rowToEvent>[0];

/**
 * The next settled events after those handed to the broker (`?` 1: the highest seq handed over, or null for
 * the cursor), up to `?` 2 (settled) and `?` 3 of them. Aliased to the names `rowToEvent` reads, as the
 * prepared statement's rows skip knex's mapper.
 */
const NEXT_BATCH = `SELECT id, seq, organization_id AS "organizationId", type, aggregate_type AS "aggregateType", aggregate_id AS "aggregateId",
    version, data, metadata, timestamp
  FROM events WHERE seq > GREATEST(?::bigint, ${PUBLISHED_THROUGH}) AND seq <= ? ORDER BY seq LIMIT ?`;

/** The node-pg client and knex's pool, as far as the lock uses them (`knex.client` is untyped). */
interface PgConnection {
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
  on(event: 'error' | 'end' | 'notification', listener: (message?: { channel: string; payload?: string }) => void): unknown;
  off(event: 'error' | 'end' | 'notification', listener: (message?: { channel: string; payload?: string }) => void): unknown;
}
interface ConnectionPool {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

interface RelayLock {
  /** True while this process holds the lock; tries to take it when it does not. */
  ensure(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A session-level advisory lock on a connection kept out of the pool: PostgreSQL releases it when the
 * session ends, so another process takes over when the holder dies. The holder also LISTENs on that
 * connection for other processes' committed events (`onNotify`).
 */
function createRelayLock(knex: Knex, logger: Logger, onNotify: () => void): RelayLock {
  const pool = knex.client as ConnectionPool;
  let connection: PgConnection | undefined;
  let lost = false;
  let verifiedAt = 0;
  let waitingLogged = false;
  const onLost = (): void => {
    lost = true;
  };
  let schema = '';
  const onNotification = (message?: { channel: string; payload?: string }): void => {
    if (message?.channel === OUTBOX_CHANNEL && message.payload === schema) onNotify();
  };

  async function detach(): Promise<void> {
    const held = connection;
    if (!held) return;
    connection = undefined;
    held.off('error', onLost);
    held.off('end', onLost);
    held.off('notification', onNotification);
    try {
      // A pooled connection must not keep the lock (it would block every relay until it is closed), nor listen.
      if (!lost) await held.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      if (!lost) await held.query(`SELECT pg_advisory_unlock(${LOCK_ARGS})`);
    } catch (err) {
      logger.warn({ err }, 'event relay could not release its lock');
    }
    await pool.releaseConnection(held).catch((err: unknown) => logger.warn({ err }, 'event relay could not return its lock connection'));
  }

  async function take(): Promise<boolean> {
    const candidate = await pool.acquireConnection();
    let locked = false;
    try {
      const { rows } = await candidate.query(`SELECT pg_try_advisory_lock(${LOCK_ARGS}) AS locked, current_schema() AS schema`);
      locked = rows[0]?.['locked'] === true;
      const current = rows[0]?.['schema'];
      schema = typeof current === 'string' ? current : '';
      if (locked) {
        candidate.on('notification', onNotification);
        await candidate.query(`LISTEN ${OUTBOX_CHANNEL}`);
      }
    } catch (err) {
      if (locked) await candidate.query(`SELECT pg_advisory_unlock(${LOCK_ARGS})`).catch(() => undefined);
      candidate.off('notification', onNotification);
      locked = false;
      throw err;
    } finally {
      if (!locked) await pool.releaseConnection(candidate);
    }
    if (!locked) {
      if (!waitingLogged) logger.info('another process holds the event relay lock; waiting');
      waitingLogged = true;
      return false;
    }
    connection = candidate;
    lost = false;
    verifiedAt = Date.now();
    waitingLogged = false;
    candidate.on('error', onLost);
    candidate.on('end', onLost);
    logger.info('event relay took the publishing lock');
    return true;
  }

  async function stillHeld(held: PgConnection): Promise<boolean> {
    if (lost) return false;
    if (Date.now() - verifiedAt < LOCK_VERIFY_MS) return true;
    try {
      await held.query('SELECT 1');
      verifiedAt = Date.now();
      return true;
    } catch {
      lost = true;
      return false;
    }
  }

  return {
    async ensure() {
      if (connection && (await stillHeld(connection))) return true;
      if (connection) {
        logger.warn('event relay lost its lock connection; taking the lock again');
        await detach();
      }
      return take();
    },
    release: detach,
  };
}

/** Length of the leading run of events the broker confirmed: marking only that keeps the order on retry. */
function confirmedPrefix(events: Event[], err: unknown): number {
  if (!(err instanceof PublishError)) return 0;
  const confirmed = new Set(err.confirmed);
  const firstMissing = events.findIndex((event) => !confirmed.has(event.id));
  return firstMissing === -1 ? events.length : firstMissing;
}

/**
 * The transactional outbox relay: publishes committed events in `seq` order and marks them published once
 * the broker has confirmed them. Delivery is at least once: a crash between confirm and mark republishes.
 */
export function createRelay(options: RelayOptions): Relay {
  const { knex, bus, logger, embedded } = options;
  const watermark = createSettledWatermark(knex);
  const batchSize = options.batchSize ?? 500;
  const idleMs = options.idleMs ?? 100;
  const settleMs = options.settleMs ?? 5;
  const lockRetryMs = options.lockRetryMs ?? 3_000;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** Events were committed since the last batch began: the loop goes on without a pause. */
  let signalled = false;
  const onCommitted = (): void => {
    signalled = true;
    wake?.();
  };
  const lock = embedded ? undefined : createRelayLock(knex, logger, onCommitted);
  /** The in-process signal is heard while this relay may publish (it holds the lock, or there is no lock). */
  let unlisten: (() => void) | undefined;
  const hear = (holding: boolean): void => {
    if (holding && !unlisten && options.signal) unlisten = options.signal.listen(onCommitted);
    if (!holding && unlisten) {
      unlisten();
      unlisten = undefined;
    }
  };
  // The loop and runOnce never publish batches at the same time, or both would send the same events.
  let exclusive: Promise<unknown> = Promise.resolve();

  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = exclusive.then(task);
    exclusive = result.catch(() => undefined);
    return result;
  }

  /**
   * Batches handed to the broker whose marks have not yet run, oldest first. The next batch is selected and
   * published while earlier ones wait for their confirms (at most `batchSize` events unconfirmed in all), so
   * the broker's confirm time is not added to every batch's wait; each mark runs after the one before it.
   */
  const pipeline: Array<{ events: number; marked: Promise<void> }> = [];
  /** The mark of the last batch handed over: the next one's mark waits for it, so the cursor moves in `seq` order. */
  let lastMark: Promise<void> = Promise.resolve();
  /** The highest `seq` handed to the broker; undefined at the start and after a failed batch (the cursor says). */
  let sentThrough: number | undefined;
  /** A batch failed: the batches after it are not marked either, and the next round starts again from the cursor. */
  let failure: { error: Error } | undefined;

  /** Waits for every batch in flight, then starts again from the cursor; throws what failed. */
  async function recover(): Promise<void> {
    await Promise.allSettled(pipeline.map((batch) => batch.marked));
    const failed = failure;
    failure = undefined;
    sentThrough = undefined;
    lastMark = Promise.resolve();
    if (failed) throw failed.error;
  }

  /**
   * Marks a batch once the one before it is marked and the broker has confirmed it (or the part it did
   * confirm). `outcome` is the publish already settled to its error (or undefined): a publish that fails while
   * an earlier batch still waits is never an unhandled rejection.
   */
  function markAfter(previous: Promise<void>, rows: EventRow[], events: Event[], outcome: Promise<unknown>): Promise<void> {
    return previous.then(async () => {
      const error = await outcome;
      const confirmed = error === undefined ? events.length : confirmedPrefix(events, error);
      if (confirmed > 0) {
        // A relay that lost the lock mid-batch may mark after its successor: the cursor never moves back.
        const through = (rows[confirmed - 1] as EventRow).seq;
        await preparedQuery(knex, 'relay_mark_v1', 'UPDATE event_relay_cursor SET seq = GREATEST(seq, ?), updated_at = now()', [through]);
      }
      if (error !== undefined) throw error instanceof Error ? error : new Error('publish failed', { cause: error });
    });
  }

  /** Selects the next settled events after those handed over and publishes them; resolves once they are handed over, with their mark. */
  async function publishBatch(): Promise<{ count: number; full: boolean; marked: Promise<void> }> {
    if (failure) await recover();
    const unconfirmed = (): number => pipeline.reduce((sum, batch) => sum + batch.events, 0);
    while (pipeline.length > 0 && unconfirmed() >= batchSize) await pipeline[0]?.marked.catch(() => undefined);
    if (failure) await recover();
    const limit = batchSize - unconfirmed();
    const settled = await watermark.advance();
    if (settled === undefined) return { count: 0, full: false, marked: lastMark };
    const rows = await preparedQuery<EventRow>(knex, 'relay_next_batch_v1', NEXT_BATCH, [sentThrough ?? null, settled, limit]);
    const events = rows.map(rowToEvent);
    if (events.length === 0) return { count: 0, full: false, marked: lastMark };
    sentThrough = Number((rows[rows.length - 1] as EventRow).seq);
    const outcome = bus.publish(events).then(() => undefined, (err: unknown) => err ?? new Error('publish failed'));
    const marked = markAfter(lastMark, rows, events, outcome);
    const batch = { events: events.length, marked };
    pipeline.push(batch);
    lastMark = marked;
    void marked.then(
      () => void pipeline.splice(pipeline.indexOf(batch), 1),
      (error: unknown) => {
        pipeline.splice(pipeline.indexOf(batch), 1);
        failure ??= { error: error instanceof Error ? error : new Error(String(error)) };
      },
    );
    return { count: events.length, full: events.length === limit, marked };
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });
  }

  /** One batch handed to the broker if this process holds the lock (taking it if free), else undefined. */
  function lockedBatch(): Promise<Awaited<ReturnType<typeof publishBatch>> | undefined> {
    return serial(async () => {
      const holding = lock ? await lock.ensure() : true;
      hear(holding);
      if (!holding) return undefined;
      signalled = false;
      return publishBatch();
    });
  }

  async function run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (running) {
      try {
        const batch = await lockedBatch();
        backoff = BACKOFF_MIN_MS;
        if (batch === undefined) await sleep(lockRetryMs);
        else if (!batch.full && !signalled) await sleep(watermark.unsettled() ? settleMs : idleMs);
      } catch (err) {
        logger.warn({ err, retryInMs: backoff }, 'event relay could not publish; will retry');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  async function drain(): Promise<void> {
    try {
      while ((await lockedBatch())?.full === true) {
        // Full batches: more may be waiting.
      }
      await serial(recover);
    } catch (err) {
      logger.warn({ err }, 'event relay stopped with events left to publish; the next relay will publish them');
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run().catch((err: unknown) => logger.error({ err }, 'event relay loop failed'));
    },

    async stop() {
      if (loop) {
        running = false;
        wake?.();
        await loop;
        loop = undefined;
        await drain();
      }
      await serial(async () => {
        hear(false);
        await lock?.release();
      });
    },

    async runOnce() {
      const batch = await lockedBatch();
      if (batch === undefined) return 0;
      // Resolves once the batch is confirmed and marked, as a caller of one round expects.
      await batch.marked.catch(() => serial(recover));
      return batch.count;
    },

    async lag() {
      const { rows } = await knex.raw<{ rows: Array<{ events: number; seconds: number }> }>(
        `SELECT count(*)::int AS events, COALESCE(EXTRACT(EPOCH FROM now() - min(timestamp)), 0)::float8 AS seconds
         FROM events WHERE seq > ${PUBLISHED_THROUGH}`,
      );
      return { events: rows[0]?.events ?? 0, seconds: rows[0]?.seconds ?? 0 };
    },
  };
}
