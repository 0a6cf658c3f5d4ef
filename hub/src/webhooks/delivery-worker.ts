import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Event } from '@uah/schemas';
import type { Bus, ClaimedDelivery, Consumer, DeliveryStore, RecordResult, WebhookResponse, WebhookTransport } from '@uah/core';
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
  /** Attempts in flight per endpoint, across processes. @default 4 */
  perEndpoint?: number;
  /** How often due retries (and leases of dead processes) are looked for when nothing else wakes the worker. @default 250 */
  pollMs?: number;
  /** Events taken from the queue at once; those that arrive together are inserted together. @default 32 */
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

/**
 * Delivers webhooks. Events arrive on a durable queue and become delivery rows (one per matching endpoint)
 * before the message is acked; the schedule then lives in PostgreSQL, so a restart of the hub or the broker
 * loses no pending retry. A new event's deliveries are leased as they are inserted and sent at once when
 * their endpoint has a free slot and nothing older waiting; the others (and retries, and deliveries whose
 * process died) are claimed in batches that give each endpoint at most `perEndpoint` slots and let
 * organizations take turns, so a hanging endpoint or a busy organization holds only its own slots while
 * everyone else's deliveries go on. Inserts and claims of this process run one at a time, so the slots
 * they count are never taken twice; successes are recorded together (group commit).
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { bus, deliveries, transport, logger } = options;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpoint ?? 4;
  const pollMs = options.pollMs ?? 250;
  const claimIntervalMs = options.claimIntervalMs ?? 5;
  /** Attempts started and not yet recorded (stop waits for them). */
  const inFlight = new Set<Promise<void>>();
  /** Requests sent and not yet answered, per endpoint: the slots. An answered attempt frees its slot while its outcome is written. */
  const sending = new Map<string, number>();
  let sendingCount = 0;
  /** Names this worker's leases, so that its own are counted from `sending` and only the others' from the table. */
  const owner = `wkr_${randomBytes(8).toString('hex')}`;
  /** Endpoints that may have deliveries waiting for a claim; an attempt of theirs that ends claims again. */
  const waiting = new Set<string>();
  /** The last claim took every free slot: any attempt that ends may let more go. */
  let capped = false;
  let lastClaim = 0;
  let deferred: NodeJS.Timeout | undefined;
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let lane: Promise<unknown> = Promise.resolve();

  /** Inserts and claims one at a time: each counts the slots the previous one took. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = lane.then(task);
    lane = result.catch(() => undefined);
    return result;
  }

  const free = (): number => Math.max(0, concurrency - sendingCount);

  const recordSuccess = createBatcher<Success, RecordResult>(async (batch) => {
    const recorded = await deliveries.recordDelivered(batch);
    return batch.map(({ claimed }) => (recorded.has(claimed.id) ? { outcome: 'DELIVERED' } : { outcome: 'STALE' }));
  }, 200);

  function record(claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult> {
    const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
    return ok ? recordSuccess({ claimed, response }) : deliveries.record(claimed, response);
  }

  function answered(endpointId: string): void {
    sendingCount--;
    const left = (sending.get(endpointId) ?? 1) - 1;
    if (left > 0) sending.set(endpointId, left);
    else sending.delete(endpointId);
    if (capped || waiting.has(endpointId)) wake();
  }

  async function attempt(claimed: ClaimedDelivery): Promise<void> {
    let response: WebhookResponse;
    try {
      response = await transport.send(claimed.request);
    } finally {
      answered(claimed.endpointId);
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

  function launch(claimed: ClaimedDelivery): void {
    sendingCount++;
    sending.set(claimed.endpointId, (sending.get(claimed.endpointId) ?? 0) + 1);
    const task: Promise<void> = attempt(claimed)
      .catch((err: unknown) => logger.error({ err, deliveryId: claimed.id }, 'webhook attempt failed unexpectedly; its lease will run out and it will be made again'))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }

  /** Notes what a claim of `asked` deliveries says about what is still waiting. */
  function noteClaim(claimed: ClaimedDelivery[], asked: number): void {
    capped = claimed.length >= asked;
    const got = new Set(claimed.map((c) => c.endpointId));
    // An endpoint with room here that got nothing has nothing due (or another process holds its slots; the poll covers that).
    if (!capped) for (const endpointId of waiting) if (!got.has(endpointId) && (sending.get(endpointId) ?? 0) < perEndpoint) waiting.delete(endpointId);
    for (const endpointId of got) waiting.add(endpointId);
  }

  async function claimRound(): Promise<void> {
    do {
      again = false;
      const claimed = await serial(async () => {
        const asked = free();
        if (stopped || asked === 0) return undefined;
        lastClaim = performance.now();
        const taken = await deliveries.claimDue({ limit: asked, perEndpoint, owner, inFlight: sending });
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
      const ingested = await deliveries.ingest(events, { perEndpoint, slots: stopped ? 0 : free(), owner, inFlight: sending });
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
        concurrency: options.ingestConcurrency ?? 32,
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
      await lane;
      await Promise.allSettled([...inFlight]);
    },
  };
}
