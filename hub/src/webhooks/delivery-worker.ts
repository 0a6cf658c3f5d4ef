import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Event } from '@uah/schemas';
import { LEASE_MARGIN_MS, type Bus, type ClaimedDelivery, type Consumer, type DeliveryStore, type RecordResult, type WebhookResponse, type WebhookTransport } from '@uah/core';
import { createBatcher } from './batcher.js';

export interface DeliveryWorkerOptions {
  bus: Bus;
  deliveries: DeliveryStore;
  transport: WebhookTransport;
  logger: Logger;
  /** The durable queue bound to every event on `uah.events`; processes of the hub share it. @default 'uah.webhooks' */
  queue?: string;
  /** Attempts in flight in this process. @default 64 */
  concurrency?: number;
  /** Attempts in flight per endpoint in this process. @default 4 */
  perEndpoint?: number;
  /**
   * Deliveries leased ahead for an endpoint that answers fast, as a multiple of `perEndpoint`: they wait here
   * and go as its attempts end, without a round trip to the database for each. An endpoint that is slow (or
   * not yet heard from) gets no more leases than slots. In the webhook benchmark (500 deliveries a second to each
   * of two endpoints, 8 slots each), at 8 an endpoint outran its window in bursts and 2-15% of the deliveries
   * waited for a claim (inserted, then leased by a second update): p99 231-361 ms; at 32 none did: p99 138-148 ms.
   * @default 32
   */
  prefetch?: number;
  /** How often due retries (and leases of dead processes) are looked for when nothing else wakes the worker. @default 250 */
  pollMs?: number;
  /** Events taken from the queue at once; those that arrive together are inserted together. @default 128 */
  ingestConcurrency?: number;
  /** Claims are at least this far apart, so attempts finishing one by one are refilled in batches. @default 5 */
  claimIntervalMs?: number;
  /** Called after each recorded attempt (tests and metrics). */
  onRecorded?(claimed: ClaimedDelivery, result: RecordResult): void;
}

export interface DeliveryWorker {
  start(): Promise<void>;
  /** Stops taking work and waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
  /** Looks for due deliveries now. */
  wake(): void;
  readonly inFlight: number;
}

type Success = { claimed: ClaimedDelivery; response: WebhookResponse };

/** An endpoint answering slower than this on average, or with an attempt open longer than this, gets no deliveries leased ahead. */
const FAST_MS = 250;
/** A delivery leased ahead that waited this long is given back instead of sent: its attempt must end well before its lease does. */
const HOLD_MS = LEASE_MARGIN_MS - 10_000;
/** Endpoints whose answer times are remembered; past this, idle ones are forgotten (and start again at their slots). */
const MAX_LANES = 10_000;

interface Lane {
  /** Requests sent and not yet answered: the endpoint's slots. */
  sending: number;
  /** When each attempt in flight started (performance.now()). */
  started: Set<number>;
  /** Leased and waiting for a slot, oldest first. */
  queued: Array<{ claimed: ClaimedDelivery; leasedAt: number }>;
  /** Moving average of answer times; undefined until the first answer. */
  latencyMs: number | undefined;
}

/**
 * Delivers webhooks. Events arrive on a durable queue and become delivery rows (one per matching endpoint)
 * before the message is acked; the schedule then lives in PostgreSQL, so a restart of the hub or the broker
 * loses no pending retry. A new event's deliveries are leased as they are inserted when their endpoint has
 * room and nothing older waiting; the others (and retries, and deliveries whose process died) are claimed
 * in batches that let organizations take turns. Each endpoint has `perEndpoint` slots (requests in flight)
 * here; one that answers fast also gets deliveries leased ahead (`prefetch` per slot), which go out as its
 * attempts end with no database round trip in between, while a slow or hanging one holds no more leases
 * than slots, so it keeps only its own deliveries waiting. Leases held ahead for too long, or when the
 * worker stops, are given back. Inserts and claims of this process run one at a time, so the leases they
 * count are never taken twice; successes are recorded together (group commit).
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { bus, deliveries, transport, logger } = options;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpoint ?? 4;
  const prefetch = Math.max(1, options.prefetch ?? 32);
  const window = perEndpoint * prefetch;
  /** Leases this process holds at most: every slot, and as many again waiting per slot. */
  const leaseLimit = concurrency * prefetch;
  const pollMs = options.pollMs ?? 250;
  const claimIntervalMs = options.claimIntervalMs ?? 5;
  /** Attempts started and not yet recorded (stop waits for them). */
  const inFlight = new Set<Promise<void>>();
  /** Per endpoint: its slots in flight, its deliveries leased and waiting, how fast it answers. An answered attempt frees its slot while its outcome is written. */
  const lanes = new Map<string, Lane>();
  let sendingCount = 0;
  let queuedCount = 0;
  /** Names this worker's leases, so that its own are counted from `lanes` and only the others' from the table. */
  const owner = `wkr_${randomBytes(8).toString('hex')}`;
  /** Endpoints that may have deliveries waiting for a claim; an attempt of theirs that ends claims again. */
  const waiting = new Set<string>();
  /** The last claim took every lease it could: any attempt that ends may let more go. */
  let capped = false;
  let lastClaim = 0;
  let deferred: NodeJS.Timeout | undefined;
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let serialLane: Promise<unknown> = Promise.resolve();

  /** Inserts and claims one at a time: each counts the leases the previous one took. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = serialLane.then(task);
    serialLane = result.catch(() => undefined);
    return result;
  }

  const laneOf = (endpointId: string): Lane => {
    let lane = lanes.get(endpointId);
    if (!lane) lanes.set(endpointId, (lane = { sending: 0, started: new Set(), queued: [], latencyMs: undefined }));
    return lane;
  };

  const fast = (lane: Lane, now: number): boolean =>
    lane.latencyMs !== undefined && lane.latencyMs < FAST_MS && [...lane.started].every((at) => now - at < FAST_MS);

  /** What this process holds per endpoint (its own leases, counted here rather than from the table), and the endpoints it leases ahead for. */
  function holding(): { inFlight: Map<string, number>; ahead: { window: number; endpoints: string[] } } {
    const now = performance.now();
    const inFlight = new Map<string, number>();
    const endpoints: string[] = [];
    for (const [endpointId, lane] of lanes) {
      const leases = lane.sending + lane.queued.length;
      if (leases > 0) inFlight.set(endpointId, leases);
      if (fast(lane, now)) endpoints.push(endpointId);
    }
    return { inFlight, ahead: { window, endpoints } };
  }

  const room = (): number => Math.max(0, leaseLimit - sendingCount - queuedCount);

  const recordSuccess = createBatcher<Success, RecordResult>(async (batch) => {
    const recorded = await deliveries.recordDelivered(batch);
    return batch.map(({ claimed }) => (recorded.has(claimed.id) ? { outcome: 'DELIVERED' } : { outcome: 'STALE' }));
  }, 200);

  function record(claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult> {
    const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
    return ok ? recordSuccess({ claimed, response }) : deliveries.record(claimed, response);
  }

  /** Leases given back together, so a stalled endpoint's waiting deliveries cost one statement. */
  const release = createBatcher<string, void>(async (ids) => {
    await deliveries.release(ids, owner);
    return ids.map(() => undefined);
  }, 500);

  function answered(endpointId: string, startedAt: number): void {
    sendingCount--;
    const lane = laneOf(endpointId);
    lane.sending--;
    lane.started.delete(startedAt);
    const took = performance.now() - startedAt;
    lane.latencyMs = lane.latencyMs === undefined ? took : lane.latencyMs * 0.8 + took * 0.2;
    dispatch(endpointId);
    if (queuedCount > 0 && sendingCount < concurrency) for (const other of lanes.keys()) if (other !== endpointId) dispatch(other);
    if (lanes.size > MAX_LANES) for (const [id, idle] of lanes) if (idle.sending === 0 && idle.queued.length === 0 && !waiting.has(id)) lanes.delete(id);
    if ((waiting.has(endpointId) && lane.queued.length <= window / 2) || (capped && room() >= perEndpoint)) wake();
  }

  async function attempt(claimed: ClaimedDelivery): Promise<void> {
    let response: WebhookResponse;
    const startedAt = performance.now();
    laneOf(claimed.endpointId).started.add(startedAt);
    try {
      response = await transport.send(claimed.request);
    } finally {
      answered(claimed.endpointId, startedAt);
    }
    try {
      const result = await record(claimed, response);
      options.onRecorded?.(claimed, result);
      if (result.outcome === 'FAILED' && result.endpointDisabled) logger.warn({ endpointId: claimed.endpointId, organizationId: claimed.organizationId }, 'webhook endpoint disabled');
    } catch (err) {
      // The lease runs out and the attempt is made again: at least once, never lost.
      logger.error({ err, deliveryId: claimed.id }, 'webhook attempt could not be recorded');
    }
  }

  function send(claimed: ClaimedDelivery): void {
    sendingCount++;
    laneOf(claimed.endpointId).sending++;
    const task: Promise<void> = attempt(claimed)
      .catch((err: unknown) => logger.error({ err, deliveryId: claimed.id }, 'webhook attempt failed unexpectedly; its lease will run out and it will be made again'))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }

  /** Sends an endpoint's waiting deliveries while it has free slots; those held too long go back. */
  function dispatch(endpointId: string): void {
    const lane = lanes.get(endpointId);
    if (!lane) return;
    const now = performance.now();
    while (lane.queued.length > 0 && lane.sending < perEndpoint && sendingCount < concurrency && !stopped) {
      const next = lane.queued.shift()!;
      queuedCount--;
      if (now - next.leasedAt > HOLD_MS) void release(next.claimed.id).catch((err: unknown) => logger.warn({ err }, 'webhook leases could not be given back; they run out by themselves'));
      else send(next.claimed);
    }
  }

  function launch(claimed: ClaimedDelivery): void {
    laneOf(claimed.endpointId).queued.push({ claimed, leasedAt: performance.now() });
    queuedCount++;
    dispatch(claimed.endpointId);
  }

  /** Notes what a claim of `asked` deliveries says about what is still waiting. */
  function noteClaim(claimed: ClaimedDelivery[], asked: number): void {
    capped = claimed.length >= asked;
    const got = new Set(claimed.map((c) => c.endpointId));
    // An endpoint with room here that got nothing has nothing due (or another process holds its slots; the poll covers that).
    if (!capped) {
      const { inFlight: leases, ahead } = holding();
      for (const endpointId of waiting) {
        const limit = ahead.endpoints.includes(endpointId) ? window : perEndpoint;
        if (!got.has(endpointId) && (leases.get(endpointId) ?? 0) < limit) waiting.delete(endpointId);
      }
    }
    for (const endpointId of got) waiting.add(endpointId);
  }

  async function claimRound(): Promise<void> {
    do {
      again = false;
      const claimed = await serial(async () => {
        const asked = room();
        if (stopped || asked === 0) return undefined;
        lastClaim = performance.now();
        const taken = await deliveries.claimDue({ limit: asked, perEndpoint, owner, ...holding() });
        noteClaim(taken, asked);
        for (const delivery of taken) launch(delivery);
        return taken;
      });
      if (claimed === undefined) capped = true;
    } while (again && !stopped);
  }

  function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = claimRound()
      .catch((err: unknown) => logger.warn({ err }, 'webhook deliveries could not be claimed; will retry'))
      .finally(() => {
        pumping = undefined;
      });
    return pumping;
  }

  function wake(): void {
    if (stopped || deferred) return;
    const wait = lastClaim + claimIntervalMs - performance.now();
    if (wait <= 0) return void pump();
    deferred = setTimeout(() => {
      deferred = undefined;
      void pump();
    }, wait);
  }

  /** Inserts the deliveries of the events that arrived together and starts those leased at once; the messages are acked after. */
  const ingest = createBatcher<Event, void>(async (events) => {
    const result = await serial(async () => {
      const ingested = await deliveries.ingest(events, { perEndpoint, slots: stopped ? 0 : room(), owner, ...holding() });
      for (const delivery of ingested.claimed) launch(delivery);
      return ingested;
    });
    // Those that wait behind older ones or for a slot are claimed as their endpoint's attempts end.
    for (const endpointId of result.waiting) waiting.add(endpointId);
    if (result.waiting.length > 0) wake();
    return events.map(() => undefined);
  }, 256);

  function tick(): void {
    timer = setTimeout(() => {
      void pump().finally(() => {
        if (!stopped) tick();
      });
    }, pollMs);
    timer.unref();
  }

  return {
    get inFlight() {
      return inFlight.size;
    },
    wake,
    async start() {
      stopped = false;
      consumer = await bus.consume({
        queue: options.queue ?? 'uah.webhooks',
        bindings: ['#'],
        concurrency: options.ingestConcurrency ?? 128,
        handler: (event) => ingest(event),
      });
      tick();
      wake();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(deferred);
      deferred = undefined;
      await consumer?.close();
      consumer = undefined;
      await pumping;
      await serialLane;
      const unsent = [...lanes.values()].flatMap((lane) => lane.queued.splice(0).map((queued) => queued.claimed.id));
      queuedCount = 0;
      // Given back so that the next process to start sends them at once rather than after their leases run out.
      await deliveries.release(unsent, owner).catch((err: unknown) => logger.warn({ err }, 'webhook leases could not be given back; they run out by themselves'));
      await Promise.allSettled([...inFlight]);
    },
  };
}
