import type { Event } from '@uah/schemas';

/** The topic exchange every event is published to; routing key `<organizationId>.<type>`. */
export const EVENTS_EXCHANGE = 'uah.events';

export function routingKeyOf(event: Pick<Event, 'organizationId' | 'type'>): string {
  return `${event.organizationId}.${event.type}`;
}

export interface Delivery {
  /** 1 for the first delivery, then one more for each retry. */
  attempt: number;
  routingKey: string;
}

export interface ConsumerOptions {
  /** Durable queue name; consumers of the same name compete for its messages. */
  queue: string;
  /** Topic patterns on `uah.events`, e.g. `*.invoice.paid` or `org_1.#`. */
  bindings: string[];
  handler(event: Event, delivery: Delivery): Promise<void>;
  /** Deliveries before a message is parked (default 5). */
  maxAttempts?: number;
  /** Delay before each retry, in ms (default 1 s, 5 s, 30 s, 2 min; the last repeats). */
  retryDelaysMs?: number[];
  /** Messages handled at once (default 1, which keeps order within the queue). */
  concurrency?: number;
  /**
   * Where an event goes after its last failed attempt, instead of the queue's parking queue: for example a
   * table the API reads per organization. The message is acknowledged once this resolves; if it rejects,
   * the message goes to the parking queue as without it, so it is never lost and never loops.
   */
  park?(event: Event, parked: ParkedDelivery): Promise<void>;
}

/** How an event came to be parked. */
export interface ParkedDelivery {
  routingKey: string;
  /** Deliveries tried. */
  attempts: number;
  /** The handler's last error message. */
  error: string;
}

/** Deliveries before a message is parked, when the consumer does not say. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Delays before each retry, when the consumer does not say; the last repeats. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000];

/** The delay before redelivering a message whose delivery number `attempt` failed. */
export function retryDelayMs(options: Pick<ConsumerOptions, 'retryDelaysMs'>, attempt: number): number {
  const delays = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
  return delays[Math.min(attempt, delays.length) - 1] ?? 0;
}

/**
 * `publish` failed for part of the batch. `confirmed` holds the ids the broker did confirm, so the relay can
 * mark those and publish only the rest again.
 */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly confirmed: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PublishError';
  }
}

export interface Consumer {
  readonly queue: string;
  /**
   * Binds the queue to these patterns from now on: binds the new ones and unbinds the ones it no longer
   * lists (patterns bound by anyone else to the same queue are left alone).
   */
  setBindings(bindings: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface QueueDepth {
  queue: string;
  messages: number;
}

/**
 * The event bus: RabbitMQ in production, an in-process implementation with the same behaviour
 * (topic routing, retries with delay, a parking queue) when no broker is configured.
 */
export interface Bus {
  readonly kind: 'amqp' | 'memory';
  /** Publishes events in order; resolves once every one is confirmed by the broker. */
  publish(events: Event[]): Promise<void>;
  consume(options: ConsumerOptions): Promise<Consumer>;
  /**
   * Puts events straight onto one work queue (not through the exchange), each as a first delivery with
   * its own routing key: a manual retry of parked events. Fails if the queue does not exist.
   */
  redeliver(queue: string, events: Event[]): Promise<void>;
  /** Throws when the bus cannot take messages now (for `/ready`). */
  check(): Promise<void>;
  queueDepths(): Promise<QueueDepth[]>;
  close(): Promise<void>;
}
