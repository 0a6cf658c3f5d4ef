import type { Logger } from 'pino';
import type { Bus, ClaimedDelivery, Consumer, DeliveryStore, RecordResult, WebhookResponse, WebhookTransport } from '@uah/core';

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
  /** How often due retries are looked for when nothing else wakes the worker. @default 250 */
  pollMs?: number;
  /** Events taken from the queue at once. @default 32 */
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

/**
 * Delivers webhooks. Events arrive on a durable queue and become delivery rows (one per matching endpoint)
 * before the message is acked; the schedule then lives in PostgreSQL, so a restart of the hub or the broker
 * loses no pending retry. Due deliveries are claimed in batches that give each endpoint at most
 * `perEndpoint` slots and let organizations take turns, so a hanging endpoint or a busy organization holds
 * only its own slots while everyone else's deliveries go on.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { bus, deliveries, transport, logger } = options;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpoint ?? 4;
  const pollMs = options.pollMs ?? 250;
  const claimIntervalMs = options.claimIntervalMs ?? 5;
  let lastClaim = 0;
  let deferred: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pumping = false;
  let again = false;
  let stopped = true;

  /** Successes finished while a batch is being recorded wait for the next one: one transaction for many (group commit). */
  const successes: Array<{ claimed: ClaimedDelivery; response: WebhookResponse; settle(result: RecordResult | Error): void }> = [];
  let flushing = false;

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (successes.length > 0) {
        const batch = successes.splice(0, 200);
        try {
          const recorded = await deliveries.recordDelivered(batch);
          for (const item of batch) item.settle(recorded.has(item.claimed.id) ? { outcome: 'DELIVERED' } : { outcome: 'STALE' });
        } catch (err) {
          for (const item of batch) item.settle(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      flushing = false;
    }
  }

  function record(claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult> {
    const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
    if (!ok) return deliveries.record(claimed, response);
    return new Promise((resolve, reject) => {
      successes.push({ claimed, response, settle: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
      void flush();
    });
  }

  async function attempt(claimed: ClaimedDelivery): Promise<void> {
    const response = await transport.send(claimed.request);
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
    const task: Promise<void> = attempt(claimed).finally(() => {
      inFlight.delete(task);
      wake();
    });
    inFlight.add(task);
  }

  async function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        const free = concurrency - inFlight.size;
        if (stopped || free <= 0) break;
        lastClaim = performance.now();
        const claimed = await deliveries.claimDue({ limit: free, perEndpoint });
        for (const delivery of claimed) launch(delivery);
        if (claimed.length === free) again = true;
      } while (again);
    } catch (err) {
      logger.warn({ err }, 'webhook deliveries could not be claimed; will retry');
    } finally {
      pumping = false;
    }
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
        handler: async (event) => {
          if ((await deliveries.enqueue(event)) > 0) wake();
        },
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
      while (pumping) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.allSettled([...inFlight]);
    },
  };
}
