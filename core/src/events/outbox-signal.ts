import type { Knex } from 'knex';
import type { Logger } from 'pino';

/** The PostgreSQL channel on which processes tell the relay that events were committed; the payload is the schema. */
export const OUTBOX_CHANNEL = 'uah_outbox';

/**
 * Tells the relay that events were committed, so it publishes them now instead of at its next poll.
 *
 * Not a NOTIFY inside the writing transaction (nor a trigger): PostgreSQL serialises the commits of
 * transactions that notify, fsync included, which on the benchmark machine cut a write's throughput from
 * about 1,000 to 300 commits/s. Instead, after the commit: a relay in this process is called directly,
 * and otherwise one NOTIFY of its own (at most one in flight, and one per `coalesceMs`) wakes the relay of
 * whichever process holds the publishing lock.
 */
export interface OutboxSignal {
  /** Call after events were appended in `trx`: fires once its outermost transaction has committed. */
  afterCommit(trx: Knex.Transaction): void;
  /** Events were committed (outside any transaction the signal can see). */
  committed(): void;
  /** The relay of this process listens while it holds the lock; the returned function stops it. */
  listen(listener: () => void): () => void;
}

export interface OutboxSignalOptions {
  knex: Knex;
  logger: Logger;
  /** The embedded database has one process: no NOTIFY. */
  embedded: boolean;
  /** NOTIFYs to other processes are at least this far apart. @default 5 */
  coalesceMs?: number;
}

export function createOutboxSignal(options: OutboxSignalOptions): OutboxSignal {
  const { knex, logger, embedded } = options;
  const coalesceMs = options.coalesceMs ?? 5;
  const listeners = new Set<() => void>();
  let notifying = false;
  let pending = false;
  let lastNotify = 0;

  async function notifyOthers(): Promise<void> {
    if (notifying) {
      pending = true;
      return;
    }
    notifying = true;
    try {
      do {
        pending = false;
        const wait = lastNotify + coalesceMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastNotify = Date.now();
        await knex.raw('SELECT pg_notify(?, current_schema())', [OUTBOX_CHANNEL]);
      } while (pending);
    } catch (err) {
      // The relay polls anyway: a lost wake-up only delays.
      logger.debug({ err }, 'could not notify the event relay');
    } finally {
      notifying = false;
    }
  }

  const signal: OutboxSignal = {
    afterCommit(trx) {
      let outermost: Knex.Transaction = trx;
      while (outermost.parentTransaction) outermost = outermost.parentTransaction;
      // Not a knex transaction (a caller's own connection): the caller commits; the relay's poll finds it.
      if (typeof outermost.executionPromise?.then !== 'function') return;
      outermost.executionPromise.then(() => signal.committed(), () => undefined);
    },
    committed() {
      if (listeners.size > 0) for (const listener of listeners) listener();
      else if (!embedded) void notifyOthers();
    },
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  return signal;
}
