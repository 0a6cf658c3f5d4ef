import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Event } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import { rowToEvent } from './store.js';
import { createSettledWatermark } from './watermark.js';

export interface EventTailOptions {
  knex: Knex;
  logger: Logger;
  /** Pause between reads of the log while someone is subscribed. @default 250 */
  pollMs?: number;
  /** Events read per round trip, across organizations. @default 500 */
  batchSize?: number;
  /** Backlog events read per page for a subscriber that resumes. @default 200 */
  backlogPageSize?: number;
}

export interface EventTailSubscription {
  organizationId: string;
  /** Only events of these types (every type when absent or empty). */
  types?: readonly string[] | undefined;
  /** Resume after this event of the organization: the events since then first, then new ones. */
  after?: string | undefined;
  /** Without `after`: `now` (default) streams the events that commit after `onReady`; `start` replays the whole log first. */
  from?: 'now' | 'start' | undefined;
}

export interface EventTailHooks {
  /**
   * The subscription is anchored: every event after the anchor will be delivered, once, in log order.
   * `after` is the id of the organization's last event at the anchor (any type), null if it had none.
   */
  onReady?(after: string | null): void;
  /** Awaited between backlog pages, so a slow consumer paces a long backlog instead of buffering it. */
  drain?(): Promise<void>;
  /** The subscription ended: an unknown `after` (AppError VALIDATION_FAILED), a failed read, a throwing `onEvent`. */
  onError?(error: unknown): void;
}

export interface EventTail {
  /** Starts a subscription (asynchronously: see the hooks); returns the function that ends it. */
  subscribe(subscription: EventTailSubscription, onEvent: (event: Event) => void, hooks?: EventTailHooks): () => void;
  /** Subscriptions, live or catching up. */
  readonly size: number;
  close(): Promise<void>;
}

type EventRow = Parameters<typeof rowToEvent>[0];

interface Subscriber {
  organizationId: string;
  types: ReadonlySet<string> | undefined;
  request: EventTailSubscription;
  onEvent: (event: Event) => void;
  hooks: EventTailHooks;
  /** Highest seq handed to (or skipped for) this subscriber: nothing at or below it is delivered again. */
  position: number;
  closed: boolean;
}

const COLUMNS = ['id', 'seq', 'organization_id', 'type', 'aggregate_type', 'aggregate_id', 'version', 'data', 'metadata', 'timestamp'];
/** Above this many organizations with live subscribers, read every organization's events instead of listing them. */
const MAX_ORG_FILTER = 200;
const STALL_WARNING_MS = 60_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * One tailer per process: it reads the log's settled events in `seq` order (see watermark.ts),
 * across organizations, and fans them out to the subscribers in memory. It polls only while someone is
 * subscribed. A subscriber that resumes reads its backlog from the log page by page and joins the live
 * fan-out at the exact `seq` the tailer has reached, so there is no gap and no duplicate at the seam.
 */
export function createEventTail(options: EventTailOptions): EventTail {
  const { knex, logger } = options;
  const pollMs = options.pollMs ?? 250;
  const batchSize = options.batchSize ?? 500;
  const pageSize = options.backlogPageSize ?? 200;
  const watermark = createSettledWatermark(knex);
  const all = new Set<Subscriber>();
  const live = new Map<string, Set<Subscriber>>();
  /** Every event up to this seq is settled and has been fanned out; undefined until the first observation settles. */
  let head: number | undefined;
  const headWaiters: Array<() => void> = [];
  /** Bumped when the tailer goes idle, so a read in flight from before is discarded. */
  let epoch = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let failures = 0;
  let stallWarned = false;
  let closed = false;

  function schedule(delay: number): void {
    if (closed || all.size === 0 || timer || polling) return;
    timer = setTimeout(() => {
      timer = undefined;
      polling = tick().then((next) => {
        polling = undefined;
        schedule(next);
      });
    }, delay);
    timer.unref();
  }

  async function tick(): Promise<number> {
    try {
      const more = await pollOnce();
      failures = 0;
      return more ? 0 : pollMs;
    } catch (err) {
      failures += 1;
      const wait = Math.min(pollMs * 2 ** failures, MAX_BACKOFF_MS);
      logger.warn({ err, retryInMs: wait }, 'event stream could not read the log; will retry');
      return wait;
    }
  }

  /** One observation and, if the settled horizon moved, one batch fanned out; true when more is waiting. */
  async function pollOnce(): Promise<boolean> {
    const started = epoch;
    const settled = await watermark.advance();
    warnIfStalled();
    if (started !== epoch || settled === undefined) return false;
    if (head === undefined) {
      head = settled;
      for (const wake of headWaiters.splice(0)) wake();
      return false;
    }
    if (settled <= head) return false;
    const rows = live.size === 0 ? [] : await readRange(head, settled);
    if (started !== epoch || head === undefined) return false;
    const full = rows.length === batchSize;
    const last = rows[rows.length - 1];
    const reached = full && last ? last.seq : settled;
    fanOut(rows);
    // A subscriber's onEvent may have ended the last subscription (idle): then the head is forgotten.
    if (started === epoch) head = reached;
    return full;
  }

  function warnIfStalled(): void {
    const waiting = watermark.waitingMs();
    if (waiting > STALL_WARNING_MS && !stallWarned) {
      logger.warn({ waitingMs: waiting }, 'a long-running database transaction holds the event stream back');
    }
    stallWarned = waiting > STALL_WARNING_MS;
  }

  async function readRange(after: number, upTo: number): Promise<EventRow[]> {
    const q = knex('events').select(COLUMNS).where('seq', '>', after).andWhere('seq', '<=', upTo).orderBy('seq', 'asc').limit(batchSize);
    if (live.size <= MAX_ORG_FILTER) q.whereIn('organization_id', [...live.keys()]);
    return (await q) as EventRow[];
  }

  function fanOut(rows: EventRow[]): void {
    for (const row of rows) {
      const subscribers = live.get(row.organizationId);
      if (!subscribers) continue;
      const event = rowToEvent(row);
      for (const subscriber of subscribers) deliver(subscriber, row.seq, event);
    }
  }

  function deliver(subscriber: Subscriber, seq: number, event: Event): void {
    if (subscriber.closed || seq <= subscriber.position) return;
    subscriber.position = seq;
    if (subscriber.types && !subscriber.types.has(event.type)) return;
    try {
      subscriber.onEvent(event);
    } catch (err) {
      fail(subscriber, err);
    }
  }

  function headKnown(): Promise<void> {
    if (head !== undefined || closed) return Promise.resolve();
    return new Promise((resolve) => {
      headWaiters.push(resolve);
      schedule(0);
    });
  }

  /** Where the subscription begins: the seq after which it receives events, and the id to report. */
  async function anchorOf(subscriber: Subscriber): Promise<{ seq: number; after: string | null }> {
    const { organizationId, after, from } = subscriber.request;
    if (after !== undefined) {
      const row = (await knex('events').select('seq').where({ organization_id: organizationId, id: after }).first()) as { seq: number } | undefined;
      if (!row) throw new AppError('VALIDATION_FAILED', `No event ${after} in this organization.`, { errors: [{ field: '/after', in: 'query', message: 'unknown event id' }] });
      return { seq: row.seq, after };
    }
    if (from === 'start') return { seq: 0, after: null };
    await headKnown();
    const seq = head ?? 0;
    const last = (await knex('events').select('id').where('organization_id', organizationId).andWhere('seq', '<=', seq).orderBy('seq', 'desc').first()) as
      | { id: string }
      | undefined;
    return { seq, after: last?.id ?? null };
  }

  async function backlogPage(subscriber: Subscriber, upTo: number): Promise<EventRow[]> {
    const q = knex('events')
      .select(COLUMNS)
      .where('organization_id', subscriber.organizationId)
      .andWhere('seq', '>', subscriber.position)
      .andWhere('seq', '<=', upTo)
      .orderBy('seq', 'asc')
      .limit(pageSize);
    if (subscriber.types) q.whereIn('type', [...subscriber.types]);
    return (await q) as EventRow[];
  }

  /** Reads the backlog up to the tailer's head, then joins the fan-out at that very seq. */
  async function catchUp(subscriber: Subscriber): Promise<void> {
    await headKnown();
    while (!subscriber.closed && head !== undefined) {
      const target = head;
      if (subscriber.position >= target) {
        // Synchronously with the check: the next batch fanned out starts right after `target`.
        let set = live.get(subscriber.organizationId);
        if (!set) live.set(subscriber.organizationId, (set = new Set()));
        set.add(subscriber);
        return;
      }
      const rows = await backlogPage(subscriber, target);
      for (const row of rows) deliver(subscriber, row.seq, rowToEvent(row));
      if (rows.length < pageSize) subscriber.position = Math.max(subscriber.position, target);
      if (subscriber.hooks.drain && !subscriber.closed) await subscriber.hooks.drain();
    }
  }

  async function start(subscriber: Subscriber): Promise<void> {
    const anchor = await anchorOf(subscriber);
    if (subscriber.closed) return;
    subscriber.position = anchor.seq;
    subscriber.hooks.onReady?.(anchor.after);
    await catchUp(subscriber);
  }

  function remove(subscriber: Subscriber): void {
    if (subscriber.closed) return;
    subscriber.closed = true;
    all.delete(subscriber);
    const set = live.get(subscriber.organizationId);
    set?.delete(subscriber);
    if (set?.size === 0) live.delete(subscriber.organizationId);
    if (all.size === 0) goIdle();
  }

  function fail(subscriber: Subscriber, err: unknown): void {
    if (subscriber.closed) return;
    remove(subscriber);
    if (subscriber.hooks.onError) subscriber.hooks.onError(err);
    else logger.warn({ err, organizationId: subscriber.organizationId }, 'event stream subscription failed');
  }

  /** Nobody listens: stop polling and forget the head, which would go stale (a later start observes afresh). */
  function goIdle(): void {
    epoch += 1;
    clearTimeout(timer);
    timer = undefined;
    head = undefined;
    watermark.reset();
  }

  return {
    subscribe(request, onEvent, hooks = {}) {
      if (closed) throw new Error('the event tail is closed');
      const types = request.types && request.types.length > 0 ? new Set(request.types) : undefined;
      const subscriber: Subscriber = { organizationId: request.organizationId, types, request, onEvent, hooks, position: 0, closed: false };
      all.add(subscriber);
      schedule(0);
      start(subscriber).catch((err: unknown) => fail(subscriber, err));
      return () => remove(subscriber);
    },

    get size() {
      return all.size;
    },

    async close() {
      closed = true;
      for (const subscriber of [...all]) remove(subscriber);
      for (const wake of headWaiters.splice(0)) wake();
      await polling;
    },
  };
}
