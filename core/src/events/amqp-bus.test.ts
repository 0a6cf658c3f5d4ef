import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Connection } from 'rabbitmq-client';
import type { Event } from '@uah/schemas';
import { createAmqpBus, parkingQueueName } from './amqp-bus.js';
import { EVENTS_EXCHANGE, type Bus, type Delivery } from './bus.js';
import { AMQP_URL, TEST_QUEUE_PREFIX, createCollector, newEvent, waitFor } from './testing.js';

const run = randomBytes(4).toString('hex');
const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
let consumerBus: Bus;
let admin: Connection;
let collect: ReturnType<typeof createCollector>;

beforeAll(async () => {
  consumerBus = await createAmqpBus({ url: AMQP_URL, logger, connectionName: `uah-test-consumer-${run}` });
  admin = new Connection(AMQP_URL);
  admin.on('error', () => undefined);
  collect = createCollector(consumerBus, admin, run);
});

afterAll(async () => {
  await consumerBus?.close();
  await admin?.close();
});

describe('AMQP consumer retries', () => {
  it('retries through delay queues with the original routing key, then parks', async () => {
    const org = `org_retry${run}`;
    const attempts = new Map<string, Delivery[]>();
    const sink = await collect('retry', {
      bindings: [`${org}.#`],
      maxAttempts: 3,
      retryDelaysMs: [100, 200],
      handler: async (event, delivery) => {
        attempts.set(event.id, [...(attempts.get(event.id) ?? []), delivery]);
        if (event.type === 'payment.failed') throw new Error('always fails');
        if (delivery.attempt < 3) throw new Error('not yet');
      },
    });
    try {
      const [flaky, poison] = (['payment.succeeded', 'payment.failed'] as const).map((type, i): Event => ({
        ...newEvent(org, type, 'pay_r', i),
        data: { object: { id: 'pay_r', n: i } },
        id: `evt_retry${run}${i}`,
        object: 'event',
        metadata: { source: 'SYSTEM' },
        version: i + 1,
        timestamp: new Date().toISOString(),
      }));
      if (!flaky || !poison) throw new Error('two events expected');
      await consumerBus.publish([flaky, poison]);
      const publisher = admin.createPublisher({ confirm: true });
      await publisher.send({ exchange: EVENTS_EXCHANGE, routingKey: `${org}.invoice.paid`, contentType: 'application/json' }, Buffer.from('{not json'));
      await publisher.close();

      const parking = parkingQueueName(sink.queue);
      await waitFor(async () => (await consumerBus.queueDepths()).some((d) => d.queue === parking && d.messages === 2), 10_000);
      expect(attempts.get(flaky.id)?.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(attempts.get(flaky.id)?.every((d) => d.routingKey === `${org}.payment.succeeded`)).toBe(true);
      expect(attempts.get(poison.id)?.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(await consumerBus.queueDepths()).toEqual(expect.arrayContaining([{ queue: sink.queue, messages: 0 }, { queue: parking, messages: 2 }]));

      const parked = [await admin.basicGet({ queue: parking, noAck: true }), await admin.basicGet({ queue: parking, noAck: true })];
      const byError = new Map(parked.map((m) => [String(m?.headers?.['x-last-error']), m]));
      expect(byError.get('always fails')).toMatchObject({ messageId: poison.id, body: poison, headers: { 'x-attempt': 3, 'x-original-routing-key': `${org}.payment.failed` } });
      expect(byError.get('malformed message: not a JSON event')?.body).toEqual(Buffer.from('{not json'));
    } finally {
      await sink.dispose();
    }
  });
});

describe('AMQP consumer bindings, park hook and redelivery', () => {
  it('binds and unbinds on the live queue, parks through the hook (the parking queue if it fails), and redelivers to one queue', async () => {
    const org = `org_bind${run}`;
    const queue = `${TEST_QUEUE_PREFIX}${run}.bind`;
    const seen: Array<{ id: string; attempt: number; routingKey: string }> = [];
    const parked: Array<{ id: string; attempts: number; error: string; routingKey: string }> = [];
    const consumer = await consumerBus.consume({
      queue, bindings: [`${org}.payment.succeeded`], maxAttempts: 2, retryDelaysMs: [100],
      handler: async (event, delivery) => {
        seen.push({ id: event.id, attempt: delivery.attempt, routingKey: delivery.routingKey });
        if (event.type === 'payment.failed' && !(event.data as { object: { cured?: boolean } }).object.cured) throw new Error('cannot');
      },
      park: async (event, delivery) => {
        if (event.aggregateId === 'pay_hookfails') throw new Error('no table today');
        parked.push({ id: event.id, ...delivery });
      },
    });
    const event = (type: 'payment.succeeded' | 'payment.failed', n: number, aggregateId = 'pay_b'): Event => ({
      ...newEvent(org, type, aggregateId, n), id: `evt_bind${run}${n}`, object: 'event', metadata: { source: 'SYSTEM' }, version: n, timestamp: new Date().toISOString(),
    }) as Event;
    try {
      await consumerBus.publish([event('payment.failed', 1)]);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([]);
      await consumer.setBindings([`${org}.payment.succeeded`, `${org}.payment.failed`]);
      await consumerBus.publish([event('payment.failed', 2)]);
      await waitFor(() => parked.length === 1, 10_000);
      expect(parked[0]).toEqual({ id: `evt_bind${run}2`, attempts: 2, error: 'cannot', routingKey: `${org}.payment.failed` });
      expect((await consumerBus.queueDepths()).find((d) => d.queue === parkingQueueName(queue))?.messages).toBe(0);

      const cured = event('payment.failed', 2);
      (cured.data as { object: Record<string, unknown> }).object['cured'] = true;
      await consumerBus.redeliver(queue, [cured]);
      await waitFor(() => seen.filter((s) => s.id === cured.id).length === 3, 10_000);
      expect(seen.at(-1)).toEqual({ id: cured.id, attempt: 1, routingKey: `${org}.payment.failed` });
      await expect(consumerBus.redeliver(`${queue}.nope`, [cured])).rejects.toThrow();

      await consumerBus.publish([event('payment.failed', 3, 'pay_hookfails')]);
      await waitFor(async () => (await consumerBus.queueDepths()).find((d) => d.queue === parkingQueueName(queue))?.messages === 1, 10_000);

      await consumer.setBindings([`${org}.payment.failed`]);
      await consumerBus.publish([event('payment.succeeded', 4)]);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.some((s) => s.id === `evt_bind${run}4`)).toBe(false);
    } finally {
      await consumer.close();
      for (const name of [queue, parkingQueueName(queue), `${queue}.retry.1`]) await admin.queueDelete({ queue: name });
    }
  }, 30_000);
});
