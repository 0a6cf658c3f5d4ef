import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Event, EventType } from '@uah/schemas';
import type { Delivery } from './bus.js';
import { createMemoryBus, topicMatches, type MemoryBus } from './memory-bus.js';

const logger = pino({ level: 'silent' });
let sequence = 0;

function event(organizationId: string, type: EventType, aggregateId = 'cus_1'): Event {
  sequence++;
  return {
    id: `evt_${String(sequence).padStart(6, '0')}`,
    object: 'event',
    type,
    aggregateId,
    aggregateType: type.split('.')[0] ?? 'customer',
    organizationId,
    data: { object: { n: sequence } },
    metadata: { source: 'SYSTEM' },
    version: sequence,
    timestamp: new Date().toISOString(),
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('topicMatches', () => {
  it.each([
    ['*.invoice.paid', 'org_1.invoice.paid', true],
    ['*.invoice.paid', 'org_1.invoice.sent', false],
    ['org_1.#', 'org_1.invoice.paid', true],
    ['org_1.#', 'org_1', true],
    ['org_1.#', 'org_2.invoice.paid', false],
    ['#', 'org_1.invoice.paid', true],
    ['#.paid', 'org_1.invoice.paid', true],
    ['org_1.*', 'org_1.invoice.paid', false],
    ['*.*.paid', 'org_1.invoice.paid', true],
    ['org_1.#.paid', 'org_1.paid', true],
    ['*.invoice.#', 'org_1.invoice.partially_paid', true],
    ['*', 'org_1.invoice.paid', false],
  ])('%s ~ %s → %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('memory bus', () => {
  let bus: MemoryBus;
  afterEach(async () => {
    await bus.close();
  });

  it('routes by topic pattern, one copy per queue', async () => {
    bus = createMemoryBus({ logger });
    const seen = new Map<string, string[]>();
    for (const [queue, bindings] of [['paid', ['*.invoice.paid']], ['org1', ['org_1.#']], ['all', ['#']], ['two', ['*.customer.created', '*.invoice.sent']]] as const) {
      seen.set(queue, []);
      await bus.consume({ queue, bindings: [...bindings], handler: async (e) => void seen.get(queue)?.push(e.id) });
    }
    const events = [event('org_1', 'invoice.paid'), event('org_2', 'invoice.paid'), event('org_1', 'customer.created'), event('org_2', 'invoice.sent')];
    await bus.publish(events);
    await waitFor(() => seen.get('all')?.length === 4);
    const ids = events.map((e) => e.id);
    expect(seen.get('paid')).toEqual([ids[0], ids[1]]);
    expect(seen.get('org1')).toEqual([ids[0], ids[2]]);
    expect(seen.get('all')).toEqual(ids);
    expect(seen.get('two')).toEqual([ids[2], ids[3]]);
  });

  it('delivers a copy of the event, in order, with the routing key', async () => {
    bus = createMemoryBus({ logger });
    const received: Array<{ event: Event; delivery: Delivery }> = [];
    await bus.consume({
      queue: 'ordered',
      bindings: ['org_9.#'],
      handler: async (e, delivery) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        received.push({ event: e, delivery });
      },
    });
    const events = Array.from({ length: 50 }, () => event('org_9', 'customer.updated'));
    await bus.publish(events);
    await waitFor(() => received.length === 50);
    expect(received.map((r) => r.event)).toEqual(events);
    expect(received[0]?.event).not.toBe(events[0]);
    expect(received[0]?.delivery).toEqual({ attempt: 1, routingKey: 'org_9.customer.updated' });
  });

  it('shares a queue between competing consumers, each message to one of them', async () => {
    bus = createMemoryBus({ logger });
    const first: string[] = [];
    const second: string[] = [];
    for (const list of [first, second]) {
      await bus.consume({
        queue: 'shared',
        bindings: ['#'],
        handler: async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          list.push(e.id);
        },
      });
    }
    const events = Array.from({ length: 20 }, () => event('org_1', 'invoice.created'));
    await bus.publish(events);
    await waitFor(() => first.length + second.length === 20);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect([...first, ...second].sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('keeps messages for a queue while no consumer is attached', async () => {
    bus = createMemoryBus({ logger });
    const first = await bus.consume({ queue: 'durable', bindings: ['#'], handler: async () => undefined });
    await first.close();
    await bus.publish([event('org_1', 'invoice.created')]);
    expect(await bus.queueDepths()).toContainEqual({ queue: 'durable', messages: 1 });
    const received: string[] = [];
    await bus.consume({ queue: 'durable', bindings: ['#'], handler: async (e) => void received.push(e.id) });
    await waitFor(() => received.length === 1);
  });

  it('retries after the configured delays, then succeeds', async () => {
    bus = createMemoryBus({ logger });
    const attempts: Array<{ attempt: number; at: number }> = [];
    const started = Date.now();
    await bus.consume({
      queue: 'flaky',
      bindings: ['#'],
      retryDelaysMs: [10, 20],
      handler: async (_e, delivery) => {
        attempts.push({ attempt: delivery.attempt, at: Date.now() - started });
        if (delivery.attempt < 3) throw new Error('not yet');
      },
    });
    await bus.publish([event('org_1', 'payment.succeeded')]);
    await waitFor(() => attempts.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[2]?.at).toBeGreaterThanOrEqual(29);
    expect(bus.parked('flaky')).toEqual([]);
  });

  it('parks a message after maxAttempts with the last error', async () => {
    bus = createMemoryBus({ logger });
    let calls = 0;
    await bus.consume({
      queue: 'poison',
      bindings: ['*.invoice.#'],
      maxAttempts: 3,
      retryDelaysMs: [10, 20],
      handler: async (_e, delivery) => {
        calls++;
        throw new Error(`failure ${delivery.attempt}`);
      },
    });
    const poison = event('org_1', 'invoice.overdue');
    await bus.publish([poison]);
    await waitFor(() => bus.parked('poison').length === 1);
    expect(calls).toBe(3);
    expect(bus.parked('poison')).toEqual([{ event: poison, routingKey: 'org_1.invoice.overdue', attempts: 3, error: 'failure 3' }]);
    expect(await bus.queueDepths()).toEqual([
      { queue: 'poison', messages: 0 },
      { queue: 'poison.parking', messages: 1 },
    ]);
  });

  it('refuses to publish once closed', async () => {
    bus = createMemoryBus({ logger });
    await bus.close();
    await expect(bus.publish([event('org_1', 'invoice.created')])).rejects.toThrow(/closed/);
    await expect(bus.check()).rejects.toThrow(/closed/);
  });
});

describe('memory bus bindings, park hook and redelivery', () => {
  it('binds and unbinds on the live queue, parks through the hook (the parking queue if it fails), and redelivers to one queue', async () => {
    const bus = createMemoryBus({ logger: pino({ level: 'silent' }) });
    const seen: Array<{ id: string; attempt: number }> = [];
    const parked: string[] = [];
    const make = (type: 'customer.created' | 'customer.updated', id: string): Event => ({
      id, type, aggregateId: 'cus_1', aggregateType: 'customer', organizationId: 'org_1', data: { object: { id: 'cus_1' } }, metadata: { source: 'API' }, version: 1, timestamp: new Date().toISOString(),
    }) as unknown as Event;
    const consumer = await bus.consume({
      queue: 'q', bindings: ['*.customer.created'], maxAttempts: 1,
      handler: async (e, d) => {
        seen.push({ id: e.id, attempt: d.attempt });
        if (e.id.startsWith('evt_bad')) throw new Error('bad');
      },
      park: async (e) => {
        if (e.id === 'evt_bad_hook') throw new Error('hook down');
        parked.push(e.id);
      },
    });
    await bus.publish([make('customer.updated', 'evt_u1')]);
    await consumer.setBindings(['*.customer.created', '*.customer.updated']);
    await bus.publish([make('customer.updated', 'evt_u2'), make('customer.created', 'evt_bad1'), make('customer.created', 'evt_bad_hook')]);
    await waitFor(() => seen.length === 3);
    await waitFor(() => parked.length === 1 && bus.parked('q').length === 1);
    expect(parked).toEqual(['evt_bad1']);
    expect(bus.parked('q').map((p) => p.event.id)).toEqual(['evt_bad_hook']);
    await bus.redeliver('q', [make('customer.updated', 'evt_again')]);
    await waitFor(() => seen.some((s) => s.id === 'evt_again'));
    await consumer.setBindings(['*.customer.updated']);
    await bus.publish([make('customer.created', 'evt_c_after')]);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((s) => s.id)).toEqual(['evt_u2', 'evt_bad1', 'evt_bad_hook', 'evt_again']);
    await expect(bus.redeliver('nope', [])).rejects.toThrow();
    await bus.close();
  });
});
