import { describe, expect, it } from 'vitest';
import type { Event } from '@uah/schemas';
import { UahApiError, UahConnectionError } from './errors.js';
import { subscribeToEvents, type EventSubscribeOptions, type SubscribeDeps, type WebSocketLike } from './subscribe.js';
import type { Query } from './transport.js';

/** A WebSocket the test drives by hand. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onclose: WebSocketLike['onclose'] = null;
  closedWith: number | undefined;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }
  open(after: string | null = null): void {
    this.onopen?.({});
    this.send({ type: 'ready', after });
  }
  send(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = ''): void {
    this.onclose?.({ code, reason });
  }
  close(code?: number): void {
    this.closedWith = code;
  }
}

const event = (id: string): Event => ({
  id, object: 'event', type: 'customer.created', aggregateId: 'cus_1', aggregateType: 'customer', organizationId: 'org_1',
  data: { object: {} }, metadata: { source: 'API' }, version: 1, timestamp: '2026-01-31T09:30:00.000Z',
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function start(options: Partial<EventSubscribeOptions> = {}, probe: (query: Query) => Promise<unknown> = async () => ({ data: [] }), backoffMs = 1) {
  FakeSocket.all = [];
  const received: string[] = [];
  const errors: Error[] = [];
  const probes: Query[] = [];
  const deps: SubscribeDeps = {
    baseUrl: 'https://hub.example/',
    apiKey: 'uah_sk_k',
    organizationPath: '/v1/organizations/org_1',
    WebSocket: FakeSocket,
    probe: (query) => {
      probes.push(query);
      return probe(query);
    },
    backoff: { minMs: backoffMs, maxMs: backoffMs },
  };
  const subscription = subscribeToEvents(deps, { onEvent: (e) => void received.push(e.id), onError: (e) => void errors.push(e), ...options });
  const socket = (n: number): FakeSocket => {
    const s = FakeSocket.all[n];
    if (!s) throw new Error(`no socket ${n}`);
    return s;
  };
  return { subscription, received, errors, probes, socket };
}

describe('events.subscribe', () => {
  it('connects over wss with the key as a subprotocol, never in the URL', () => {
    const { socket, subscription } = start({ types: ['invoice.paid', 'payment.succeeded'] });
    expect(socket(0).url).toBe('wss://hub.example/v1/organizations/org_1/events?types=invoice.paid%2Cpayment.succeeded');
    expect(socket(0).protocols).toEqual(['uah.v1', 'uah.bearer.uah_sk_k']);
    subscription.close();
    expect(socket(0).closedWith).toBe(1000);
  });

  it('resumes after the last event received, and drops an event it has already seen', async () => {
    const { socket, received, errors, subscription } = start();
    socket(0).open('evt_start');
    socket(0).send({ type: 'event', event: event('evt_1') });
    socket(0).send({ type: 'event', event: event('evt_2') });
    socket(0).drop(1006);
    await until(() => FakeSocket.all.length === 2, 'the reconnection');
    expect(socket(1).url).toBe('wss://hub.example/v1/organizations/org_1/events?after=evt_2');
    socket(1).open('evt_2');
    socket(1).send({ type: 'event', event: event('evt_2') });
    socket(1).send({ type: 'event', event: event('evt_3') });
    await until(() => received.length === 3, 'three events');
    expect(received).toEqual(['evt_1', 'evt_2', 'evt_3']);
    expect(subscription.lastEventId).toBe('evt_3');
    expect(errors).toEqual([new UahConnectionError('The event stream closed (1006); reconnecting.', false)]);
    subscription.close();
  });

  it('before any event, resumes from where the stream began: its ready `after`, or the start when there was none', async () => {
    const { socket, subscription } = start({ types: 'customer.created' });
    socket(0).open(null);
    socket(0).drop(1001, 'The hub is shutting down');
    await until(() => FakeSocket.all.length === 2, 'the reconnection');
    expect(socket(1).url).toBe('wss://hub.example/v1/organizations/org_1/events?types=customer.created&from=start');
    subscription.close();

    const second = start();
    second.socket(0).open('evt_9');
    second.socket(0).drop(1011);
    await until(() => FakeSocket.all.length === 2, 'the reconnection');
    expect(second.socket(1).url).toBe('wss://hub.example/v1/organizations/org_1/events?after=evt_9');
    second.subscription.close();
  });

  it('reconnects at once after 1013 (too slow), after the backoff otherwise', async () => {
    const { socket, subscription } = start({}, undefined, 60_000);
    socket(0).open('evt_1');
    socket(0).drop(1013, 'Too slow');
    await until(() => FakeSocket.all.length === 2, 'the immediate reconnection');
    socket(1).open('evt_1');
    socket(1).drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(FakeSocket.all).toHaveLength(2);
    subscription.close();
  });

  it('asks the REST API why a connection was refused, and stops for good on a 4xx', async () => {
    const refused = new UahApiError(401, { code: 'UNAUTHENTICATED', title: 'Authentication required', type: 'x', status: 401 }, new Headers());
    let answer: Error = new UahConnectionError('down', false);
    const { socket, errors, probes } = start({ after: 'evt_5', types: ['customer.created'] }, async () => {
      throw answer;
    });
    socket(0).drop(1006);
    await until(() => FakeSocket.all.length === 2, 'a retry after a transient failure');
    answer = refused;
    socket(1).drop(1006);
    await until(() => errors.length === 2, 'the final error');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(FakeSocket.all).toHaveLength(2);
    expect(errors[1]).toBe(refused);
    expect(probes).toEqual([{ types: 'customer.created', after: 'evt_5', limit: 1 }, { types: 'customer.created', after: 'evt_5', limit: 1 }]);
  });

  it('hands events to an async handler one at a time, in order', async () => {
    const log: string[] = [];
    const { socket, subscription } = start({
      onEvent: async (e) => {
        log.push(`start ${e.id}`);
        await new Promise((resolve) => setTimeout(resolve, e.id === 'evt_1' ? 20 : 1));
        log.push(`end ${e.id}`);
      },
    });
    socket(0).open(null);
    socket(0).send({ type: 'event', event: event('evt_1') });
    socket(0).send({ type: 'event', event: event('evt_2') });
    await until(() => log.length === 4, 'both handled');
    expect(log).toEqual(['start evt_1', 'end evt_1', 'start evt_2', 'end evt_2']);
    subscription.close();
  });
});
