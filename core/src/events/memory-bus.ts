import type { Logger } from 'pino';
import type { Event } from '@uah/schemas';
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs, routingKeyOf, type Bus, type Consumer, type ConsumerOptions, type QueueDepth } from './bus.js';

/** A message given up on after its last attempt (the in-process parking queue). */
export interface ParkedMessage {
  event: Event;
  routingKey: string;
  attempts: number;
  error: string;
}

/** The in-process bus, with the parking queues readable for tests and the CLI. */
export interface MemoryBus extends Bus {
  readonly kind: 'memory';
  parked(queue: string): ParkedMessage[];
}

interface Message {
  event: Event;
  routingKey: string;
  attempt: number;
}

interface MemoryConsumer {
  options: ConsumerOptions;
  active: number;
  closed: boolean;
  tasks: Set<Promise<void>>;
}

interface MemoryQueue {
  name: string;
  /** Like a RabbitMQ binding, a pattern outlives the consumer that declared it. */
  bindings: Set<string>;
  ready: Message[];
  parked: ParkedMessage[];
  consumers: MemoryConsumer[];
  /** Round-robin position, so competing consumers share the work. */
  next: number;
}

/**
 * AMQP topic matching: words are separated by `.`, `*` matches exactly one word and `#` zero or more.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), routingKey.split('.'), 0, 0);
}

function matchWords(pattern: string[], key: string[], i: number, j: number): boolean {
  if (i === pattern.length) return j === key.length;
  const word = pattern[i];
  if (word === '#') {
    for (let k = j; k <= key.length; k++) if (matchWords(pattern, key, i + 1, k)) return true;
    return false;
  }
  if (j === key.length) return false;
  return (word === '*' || word === key[j]) && matchWords(pattern, key, i + 1, j + 1);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The bus when no broker is configured: the same routing, per-queue order, delayed retries and parking as
 * the RabbitMQ bus, inside this process. Queued and parked messages live in memory only: what is still queued
 * when the process stops is lost (the relay has already marked it published), so consumers that must not
 * miss an event need the RabbitMQ bus.
 */
export function createMemoryBus({ logger }: { logger: Logger }): MemoryBus {
  const queues = new Map<string, MemoryQueue>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  function queueNamed(name: string): MemoryQueue {
    let queue = queues.get(name);
    if (!queue) {
      queue = { name, bindings: new Set(), ready: [], parked: [], consumers: [], next: 0 };
      queues.set(name, queue);
    }
    return queue;
  }

  function pickConsumer(queue: MemoryQueue): MemoryConsumer | undefined {
    const { consumers } = queue;
    for (let n = 0; n < consumers.length; n++) {
      const consumer = consumers[(queue.next + n) % consumers.length];
      if (consumer && consumer.active < (consumer.options.concurrency ?? 1)) {
        queue.next = (queue.next + n + 1) % consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  function dispatch(queue: MemoryQueue): void {
    while (queue.ready.length > 0) {
      const consumer = pickConsumer(queue);
      if (!consumer) return;
      const message = queue.ready.shift();
      if (message) deliver(queue, consumer, message);
    }
  }

  function deliver(queue: MemoryQueue, consumer: MemoryConsumer, message: Message): void {
    consumer.active++;
    // Through a resolved promise, so a handler never runs inside the publisher's call stack.
    const task: Promise<void> = Promise.resolve()
      .then(() => consumer.options.handler(message.event, { attempt: message.attempt, routingKey: message.routingKey }))
      .catch((err: unknown) => failed(queue, consumer, message, err))
      .finally(() => {
        consumer.active--;
        consumer.tasks.delete(task);
        dispatch(queue);
      });
    consumer.tasks.add(task);
  }

  function failed(queue: MemoryQueue, consumer: MemoryConsumer, message: Message, err: unknown): Promise<void> | undefined {
    const maxAttempts = consumer.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const context = { err, queue: queue.name, eventId: message.event.id, attempt: message.attempt };
    if (message.attempt >= maxAttempts) {
      logger.error(context, 'event handler failed for the last time; message parked');
      const parked = { event: message.event, routingKey: message.routingKey, attempts: message.attempt, error: errorText(err) };
      if (!consumer.options.park) return void queue.parked.push(parked);
      // The consumer's own place first; should it fail, the parking queue, as the RabbitMQ bus does.
      return consumer.options.park(message.event, { routingKey: parked.routingKey, attempts: parked.attempts, error: parked.error }).catch((parkError: unknown) => {
        logger.error({ err: parkError, queue: queue.name, eventId: message.event.id }, "the consumer's park hook failed; message sent to the parking queue");
        queue.parked.push(parked);
      });
    }
    logger.warn(context, 'event handler failed; will retry');
    const timer = setTimeout(() => {
      timers.delete(timer);
      queue.ready.push({ ...message, attempt: message.attempt + 1 });
      dispatch(queue);
    }, retryDelayMs(consumer.options, message.attempt));
    timer.unref();
    timers.add(timer);
  }

  async function closeConsumer(queue: MemoryQueue, consumer: MemoryConsumer): Promise<void> {
    if (consumer.closed) return;
    consumer.closed = true;
    queue.consumers = queue.consumers.filter((c) => c !== consumer);
    await Promise.allSettled([...consumer.tasks]);
  }

  return {
    kind: 'memory',

    publish(events) {
      if (closed) return Promise.reject(new Error('the event bus is closed'));
      for (const event of events) {
        const routingKey = routingKeyOf(event);
        // Serialised as on the wire: a consumer never shares an object with the publisher or another queue.
        const json = JSON.stringify(event);
        for (const queue of queues.values()) {
          if (![...queue.bindings].some((pattern) => topicMatches(pattern, routingKey))) continue;
          queue.ready.push({ event: JSON.parse(json) as Event, routingKey, attempt: 1 });
        }
      }
      for (const queue of queues.values()) dispatch(queue);
      return Promise.resolve();
    },

    consume(options) {
      if (closed) return Promise.reject(new Error('the event bus is closed'));
      const queue = queueNamed(options.queue);
      for (const pattern of options.bindings) queue.bindings.add(pattern);
      const consumer: MemoryConsumer = { options, active: 0, closed: false, tasks: new Set() };
      queue.consumers.push(consumer);
      dispatch(queue);
      let own = new Set(options.bindings);
      const handle: Consumer = {
        queue: options.queue,
        setBindings(bindings) {
          const wanted = new Set(bindings);
          for (const pattern of wanted) queue.bindings.add(pattern);
          for (const pattern of own) if (!wanted.has(pattern)) queue.bindings.delete(pattern);
          own = wanted;
          return Promise.resolve();
        },
        close: () => closeConsumer(queue, consumer),
      };
      return Promise.resolve(handle);
    },

    redeliver(name, events) {
      if (closed) return Promise.reject(new Error('the event bus is closed'));
      const queue = queues.get(name);
      if (!queue) return Promise.reject(new Error(`no queue ${name}`));
      for (const event of events) queue.ready.push({ event: JSON.parse(JSON.stringify(event)) as Event, routingKey: routingKeyOf(event), attempt: 1 });
      dispatch(queue);
      return Promise.resolve();
    },

    check() {
      return closed ? Promise.reject(new Error('the event bus is closed')) : Promise.resolve();
    },

    queueDepths() {
      const depths: QueueDepth[] = [];
      for (const queue of queues.values()) {
        depths.push({ queue: queue.name, messages: queue.ready.length }, { queue: `${queue.name}.parking`, messages: queue.parked.length });
      }
      return Promise.resolve(depths);
    },

    parked(name) {
      return [...(queues.get(name)?.parked ?? [])];
    },

    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closing = [...queues.values()].flatMap((queue) => queue.consumers.map((consumer) => closeConsumer(queue, consumer)));
      await Promise.all(closing);
    },
  };
}
