import type { Logger } from 'pino';
import { Connection, type AsyncMessage, type Consumer as RabbitConsumer, type Envelope, type MethodParams, type Cmd, type Publisher } from 'rabbitmq-client';
import type { Event } from '@uah/schemas';
import {
  DEFAULT_MAX_ATTEMPTS,
  EVENTS_EXCHANGE,
  PublishError,
  retryDelayMs,
  routingKeyOf,
  type Bus,
  type Consumer,
  type ConsumerOptions,
  type QueueDepth,
} from './bus.js';

export interface AmqpBusOptions {
  url: string;
  logger: Logger;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. @default 'uah' */
  connectionName?: string;
  /** A batch not confirmed within this time fails, so the relay retries it. @default 30000 */
  publishTimeoutMs?: number;
  /** How long `createAmqpBus` waits for the first connection. @default 10000 */
  connectTimeoutMs?: number;
}

/** Headers a retried or parked message carries; after a dead-letter round trip the routing key is the queue's. */
export const ATTEMPT_HEADER = 'x-attempt';
export const ROUTING_KEY_HEADER = 'x-original-routing-key';
export const ERROR_HEADER = 'x-last-error';

export function retryQueueName(queue: string, attempt: number): string {
  return `${queue}.retry.${attempt}`;
}

export function parkingQueueName(queue: string): string {
  return `${queue}.parking`;
}

type QueueDeclaration = MethodParams[Cmd.QueueDeclare];

/**
 * Every queue a bus of this process has declared: work, delay and parking queues. The hub never deletes its
 * durable queues; tests read this to remove the ones they made on a shared broker.
 */
const declaredInProcess = new Set<string>();

export function declaredQueues(): string[] {
  return [...declaredInProcess];
}

const EXCHANGE_DECLARATION = { exchange: EVENTS_EXCHANGE, type: 'topic', durable: true } as const;
/** Quorum queues, so a RabbitMQ cluster keeps every message across the loss of a node. */
const QUORUM = { 'x-queue-type': 'quorum' } as const;

/**
 * The work queue, one delay queue per retry (its TTL dead-letters the message back to the work queue) and the
 * parking queue. A delay queue's TTL is fixed at declaration: changing `retryDelaysMs` of an existing queue
 * needs its delay queues deleted first, or RabbitMQ refuses the declaration.
 */
function sideQueues(options: ConsumerOptions, maxAttempts: number): QueueDeclaration[] {
  const retries: QueueDeclaration[] = [];
  for (let attempt = 1; attempt < maxAttempts; attempt++) {
    retries.push({
      queue: retryQueueName(options.queue, attempt),
      durable: true,
      arguments: { ...QUORUM, 'x-message-ttl': retryDelayMs(options, attempt), 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': options.queue },
    });
  }
  return [...retries, { queue: parkingQueueName(options.queue), durable: true, arguments: QUORUM }];
}

function errorText(err: unknown): string {
  // Header values travel in one frame: keep them short.
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}

function eventEnvelope(event: Event): Envelope {
  return {
    exchange: EVENTS_EXCHANGE,
    routingKey: routingKeyOf(event),
    messageId: event.id,
    type: event.type,
    contentType: 'application/json',
    durable: true,
  };
}

/** The library parses JSON bodies; anything else (or a body that did not parse) stays a Buffer or string. */
function parseEvent(body: unknown): Event | undefined {
  let value: unknown = body;
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    try {
      value = JSON.parse(body.toString());
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<Event>;
  return typeof candidate.id === 'string' && typeof candidate.type === 'string' ? (value as Event) : undefined;
}

function rawBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

function attemptOf(msg: AsyncMessage): number {
  const value: unknown = msg.headers?.[ATTEMPT_HEADER];
  return typeof value === 'number' && value >= 1 ? value : 1;
}

function routingKeyOfMessage(msg: AsyncMessage): string {
  const value: unknown = msg.headers?.[ROUTING_KEY_HEADER];
  return typeof value === 'string' ? value : msg.routingKey;
}

/** Republishes a message unchanged but for our headers; the broker's dead-letter history is dropped. */
function forward(msg: AsyncMessage, routingKey: string, headers: Record<string, string | number>): Envelope {
  const kept = Object.fromEntries(Object.entries(msg.headers ?? {}).filter(([key]) => !key.startsWith('x-')));
  return {
    exchange: '',
    routingKey,
    durable: true,
    contentType: msg.contentType ?? 'application/octet-stream',
    ...(msg.messageId ? { messageId: msg.messageId } : {}),
    ...(msg.type ? { type: msg.type } : {}),
    headers: { ...kept, ...headers },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Handles one delivery. Returning acks it; a failed handler's message is first republished to its delay queue
 * (or, after the last attempt, to the parking queue) and acked only once that publish is confirmed. Throwing,
 * which happens only when that publish fails, nacks the message back onto the work queue.
 */
function createMessageHandler(options: ConsumerOptions & { maxAttempts: number }, sidePublisher: Publisher, logger: Logger) {
  const { queue, maxAttempts } = options;
  const park = (msg: AsyncMessage, headers: Record<string, string | number>): Promise<void> =>
    sidePublisher.send(forward(msg, parkingQueueName(queue), { [ROUTING_KEY_HEADER]: routingKeyOfMessage(msg), ...headers }), rawBody(msg.body));
  /** The consumer's own place for parked events when it has one, else (or should it fail) the parking queue. */
  const parkEvent = async (msg: AsyncMessage, event: Event, routingKey: string, attempt: number, error: string): Promise<void> => {
    if (options.park) {
      try {
        return await options.park(event, { routingKey, attempts: attempt, error });
      } catch (err) {
        logger.error({ err, queue, eventId: event.id }, "the consumer's park hook failed; message sent to the parking queue");
      }
    }
    await park(msg, { [ATTEMPT_HEADER]: attempt, [ERROR_HEADER]: error });
  };

  return async function onMessage(msg: AsyncMessage): Promise<void> {
    const attempt = attemptOf(msg);
    const event = parseEvent(msg.body);
    if (!event) {
      await park(msg, { [ERROR_HEADER]: 'malformed message: not a JSON event' });
      logger.error({ queue, messageId: msg.messageId }, 'malformed message parked');
      return;
    }
    const routingKey = routingKeyOfMessage(msg);
    try {
      await options.handler(event, { attempt, routingKey });
    } catch (err) {
      const context = { err, queue, eventId: event.id, attempt };
      if (attempt >= maxAttempts) {
        await parkEvent(msg, event, routingKey, attempt, errorText(err));
        logger.error(context, 'event handler failed for the last time; message parked');
        return;
      }
      await sidePublisher.send(forward(msg, retryQueueName(queue, attempt), { [ATTEMPT_HEADER]: attempt + 1, [ROUTING_KEY_HEADER]: routingKey }), rawBody(msg.body));
      logger.warn(context, 'event handler failed; will retry');
    }
  };
}

/** Starts consuming the work queue (declared and bound by the client, again after each reconnection). */
async function startConsumer(rabbit: Connection, options: ConsumerOptions, queueBindings: Array<MethodParams[Cmd.QueueBind]>, onMessage: (msg: AsyncMessage) => Promise<void>, logger: Logger): Promise<RabbitConsumer> {
  const { queue } = options;
  const concurrency = options.concurrency ?? 1;
  const sub = rabbit.createConsumer(
    {
      queue,
      queueOptions: { durable: true, arguments: QUORUM },
      qos: { prefetchCount: concurrency },
      concurrency,
      requeue: true,
      exchanges: [EXCHANGE_DECLARATION],
      // The client declares these again after each reconnection: `setBindings` keeps this array current.
      queueBindings,
    },
    onMessage,
  );
  // Resolve only once the queue is bound, so that what is published next reaches it.
  const ready = new Promise<void>((resolve, reject) => {
    sub.once('ready', resolve);
    sub.once('error', reject);
  });
  sub.on('error', (err: unknown) => logger.warn({ err, queue }, 'RabbitMQ consumer error'));
  try {
    await withTimeout(ready, 15_000, `consumer setup for ${queue}`);
  } catch (err) {
    await sub.close().catch(() => undefined);
    throw err;
  }
  return sub;
}

/**
 * The RabbitMQ bus. The client reconnects by itself; publishes are pipelined with confirms and never retried
 * by the client, so a failure surfaces to the relay, which retries the batch in order. The socket sends each
 * frame at once (no Nagle): with publishes, confirms and acks in flight together on one connection, Nagle's
 * algorithm held small frames back until the broker's delayed ACK (about 40 ms), which put 36 ms at p50
 * between the relay's publish and its confirm, and as much again before the consumer saw the message.
 */
export async function createAmqpBus(options: AmqpBusOptions): Promise<Bus> {
  const { url, logger } = options;
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const rabbit = new Connection({ url, connectionName: options.connectionName ?? 'uah', retryHigh: 10_000, acquireTimeout: 10_000, noDelay: true });
  rabbit.on('error', (err: unknown) => logger.warn({ err }, 'RabbitMQ connection error'));
  rabbit.on('connection', () => logger.info('RabbitMQ connection established'));
  try {
    await rabbit.onConnect(options.connectTimeoutMs ?? 10_000);
    await rabbit.exchangeDeclare(EXCHANGE_DECLARATION);
  } catch (err) {
    rabbit.unsafeDestroy();
    throw new Error(`cannot connect to RabbitMQ: ${errorText(err)}`, { cause: err });
  }
  const publisher = rabbit.createPublisher({ confirm: true, maxAttempts: 1, exchanges: [EXCHANGE_DECLARATION] });
  const consumers = new Set<Consumer>();
  /** Work queues consumed here, counted so that competing consumers in one process are listed once. */
  const consumed = new Map<string, number>();

  async function publish(events: Event[]): Promise<void> {
    const confirmed: string[] = [];
    // All sends start in this tick and share one channel (or wait together for its setup): the broker gets them in order.
    const sends = events.map((event) => publisher.send(eventEnvelope(event), Buffer.from(JSON.stringify(event))).then(() => void confirmed.push(event.id)));
    let results: PromiseSettledResult<void>[];
    try {
      results = await withTimeout(Promise.allSettled(sends), publishTimeoutMs, 'publish');
    } catch (err) {
      throw new PublishError(errorText(err), [...confirmed], { cause: err });
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      const reason: unknown = failure.reason;
      throw new PublishError(`${events.length - confirmed.length} of ${events.length} events not confirmed: ${errorText(reason)}`, confirmed, { cause: reason });
    }
  }

  async function consume(consumerOptions: ConsumerOptions): Promise<Consumer> {
    const { queue } = consumerOptions;
    const maxAttempts = consumerOptions.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const declarations = sideQueues(consumerOptions, maxAttempts);
    for (const name of [queue, ...declarations.map((d) => d.queue)]) if (name) declaredInProcess.add(name);
    for (const declaration of declarations) await rabbit.queueDeclare(declaration);
    // Its own publisher re-declares the side queues after a reconnection, should they have been deleted.
    const sidePublisher = rabbit.createPublisher({ confirm: true, maxAttempts: 2, queues: declarations });
    const onMessage = createMessageHandler({ ...consumerOptions, maxAttempts }, sidePublisher, logger);
    const queueBindings = [...new Set(consumerOptions.bindings)].map((routingKey) => ({ exchange: EVENTS_EXCHANGE, queue, routingKey }));
    let sub: RabbitConsumer;
    try {
      sub = await startConsumer(rabbit, consumerOptions, queueBindings, onMessage, logger);
    } catch (err) {
      await sidePublisher.close().catch(() => undefined);
      throw err;
    }
    consumed.set(queue, (consumed.get(queue) ?? 0) + 1);
    let closing: Promise<void> | undefined;
    const consumer: Consumer = {
      queue,
      async setBindings(bindings) {
        const wanted = new Set(bindings);
        const current = new Set(queueBindings.map((b) => b.routingKey));
        for (const routingKey of wanted) {
          if (current.has(routingKey)) continue;
          await rabbit.queueBind({ exchange: EVENTS_EXCHANGE, queue, routingKey });
          queueBindings.push({ exchange: EVENTS_EXCHANGE, queue, routingKey });
        }
        for (const routingKey of current) {
          if (wanted.has(routingKey)) continue;
          await rabbit.queueUnbind({ exchange: EVENTS_EXCHANGE, queue, routingKey });
          queueBindings.splice(queueBindings.findIndex((b) => b.routingKey === routingKey), 1);
        }
      },
      close() {
        closing ??= (async () => {
          consumers.delete(consumer);
          const left = (consumed.get(queue) ?? 1) - 1;
          if (left > 0) consumed.set(queue, left);
          else consumed.delete(queue);
          await sub.close();
          await sidePublisher.close();
        })();
        return closing;
      },
    };
    consumers.add(consumer);
    return consumer;
  }

  async function redeliver(queue: string, events: Event[]): Promise<void> {
    // A publish to a queue that does not exist would vanish: make sure it is there first.
    await rabbit.queueDeclare({ queue, passive: true });
    const sends = events.map((event) =>
      publisher.send({ ...eventEnvelope(event), exchange: '', routingKey: queue, headers: { [ROUTING_KEY_HEADER]: routingKeyOf(event), [ATTEMPT_HEADER]: 1 } }, Buffer.from(JSON.stringify(event))),
    );
    await withTimeout(Promise.all(sends), publishTimeoutMs, 'redeliver');
  }

  async function queueDepths(): Promise<QueueDepth[]> {
    const names = [...consumed.keys()].flatMap((queue) => [queue, parkingQueueName(queue)]);
    return Promise.all(names.map(async (queue) => ({ queue, messages: (await rabbit.queueDeclare({ queue, passive: true })).messageCount })));
  }

  return {
    kind: 'amqp',
    publish,
    consume,
    redeliver,
    queueDepths,
    check() {
      return rabbit.ready ? Promise.resolve() : Promise.reject(new Error('RabbitMQ connection is not ready'));
    },
    async close() {
      await Promise.allSettled([...consumers].map((consumer) => consumer.close()));
      await publisher.close();
      await rabbit.close();
    },
  };
}
