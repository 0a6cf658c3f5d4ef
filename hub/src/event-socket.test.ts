import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import WebSocket from 'ws';
import type { Event, EventStreamMessage } from '@uah/schemas';
import { AppError, type EventStreamAccess, type EventTail, type EventTailHooks, type EventTailSubscription, type StreamGrant } from '@uah/core';
import { attachEventSocket, type EventSocketServer } from './event-socket.js';

/** A frame's text, whichever of its shapes `ws` hands over. */
const textOf = (data: WebSocket.RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
const logger = pino({ level: 'silent' });
const KEY = 'uah_sk_good';

/** A tail whose events the test pushes by hand. */
function fakeTail() {
  const subscriptions: Array<{ request: EventTailSubscription; onEvent: (event: Event) => void; hooks: EventTailHooks; active: boolean }> = [];
  const tail: EventTail = {
    subscribe(request, onEvent, hooks = {}) {
      const entry = { request, onEvent, hooks, active: true };
      subscriptions.push(entry);
      setImmediate(() => entry.active && hooks.onReady?.('evt_anchor'));
      return () => void (entry.active = false);
    },
    get size() {
      return subscriptions.filter((s) => s.active).length;
    },
    close: async () => undefined,
  };
  return { tail, subscriptions };
}

function fakeAccess(valid: { key: boolean }): EventStreamAccess {
  const grant: StreamGrant = { key: { id: 'key_1', organizationId: 'org_1', scopes: ['read'] }, secret: KEY, subscription: { organizationId: 'org_1', from: 'now' } };
  return {
    async authorize(request) {
      if (!request.url.startsWith('/v1/organizations/org_1/events')) throw new AppError('ROUTE_NOT_FOUND', 'No WebSocket here.');
      if (request.headers.authorization !== `Bearer ${KEY}`) throw new AppError('UNAUTHENTICATED', 'Bad key.', { headers: { 'WWW-Authenticate': 'Bearer realm="uah"' } });
      return grant;
    },
    stillValid: async () => valid.key,
    prepare(request) {
      if (!request.url.startsWith('/v1/organizations/org_1/events')) throw new AppError('ROUTE_NOT_FOUND', 'No WebSocket here.');
      return { organizationId: 'org_1', subscription: grant.subscription };
    },
    async authorizeKey(_pending, secret) {
      if (secret !== KEY) throw new AppError('UNAUTHENTICATED', 'Bad key.');
      return grant;
    },
  };
}

function event(n: number, padding = 0): Event {
  return {
    id: `evt_${String(n).padStart(26, '0')}`, object: 'event', type: 'customer.created', aggregateId: `cus_${n}`, aggregateType: 'customer', organizationId: 'org_1',
    data: { object: { n, padding: 'x'.repeat(padding) } }, metadata: { source: 'API' }, version: 1, timestamp: '2026-01-31T09:30:00.000Z',
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the event socket', () => {
  let server: Server;
  let sockets: EventSocketServer;
  let url: string;
  const valid = { key: true };
  const fake = fakeTail();

  async function start(options: { heartbeatMs?: number; maxBufferedBytes?: number; logger?: pino.Logger } = {}): Promise<void> {
    valid.key = true;
    fake.subscriptions.length = 0;
    server = createServer((_req, res) => res.writeHead(404).end());
    sockets = attachEventSocket({ server, access: fakeAccess(valid), tail: fake.tail, logger, ...options });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/organizations/org_1/events`;
  }

  function connect(options: WebSocket.ClientOptions = {}) {
    const ws = new WebSocket(url, ['uah.v1'], { headers: { authorization: `Bearer ${KEY}` }, ...options });
    const messages: EventStreamMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(textOf(data)) as EventStreamMessage));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    return { ws, messages, closed };
  }

  afterEach(async () => {
    await sockets.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers other upgrade paths with 404 and a bad key with 401, before the upgrade and without subscribing', async () => {
    await start();
    const statuses: Array<{ status: number | undefined; body: string }> = [];
    for (const [path, auth] of [['/v1/organizations/org_1/customers', KEY], ['/v1/organizations/org_1/events', 'nope']] as const) {
      const ws = new WebSocket(url.replace('/v1/organizations/org_1/events', path), { headers: { authorization: `Bearer ${auth}` } });
      ws.on('error', () => undefined);
      statuses.push(
        await new Promise((resolve) => ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        })),
      );
    }
    expect(statuses.map((s) => s.status)).toEqual([404, 401]);
    expect(JSON.parse(statuses[0]?.body ?? '{}')).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404, instance: '/v1/organizations/org_1/customers' });
    expect(JSON.parse(statuses[1]?.body ?? '{}')).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, type: 'https://docs.uah.dev/errors/UNAUTHENTICATED' });
    expect(fake.subscriptions).toHaveLength(0);
  });

  it('logs each refused upgrade with its reason, under a request id of the REST form (req_<ULID>)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    await start({ logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) });
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer nope' } });
    ws.on('error', () => undefined);
    const requestId = await new Promise<string | undefined>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.headers['x-request-id'] as string | undefined)));
    expect(requestId).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
    const late = new WebSocket(url);
    late.on('open', () => late.send(JSON.stringify({ type: 'SUBSCRIBE', events: ['*'], apiKey: 'uah_sk_wrong' })));
    await new Promise((resolve) => late.on('close', resolve));
    await until(() => lines.filter((l) => l['msg'] === 'event stream refused').length === 2, 'two refusals logged');
    const refusals = lines.filter((l) => l['msg'] === 'event stream refused');
    expect(refusals[0]).toMatchObject({ requestId, path: '/v1/organizations/org_1/events', status: 401, code: 'UNAUTHENTICATED', reason: 'Bad key.' });
    expect(refusals[1]).toMatchObject({ requestId: expect.stringMatching(/^req_/), code: 1008, reason: expect.stringContaining('Bad key.') });
    expect(JSON.stringify(lines)).not.toContain('uah_sk_wrong');
  });

  it('sends the ready frame first, then each event as one JSON text frame, and unsubscribes when the client leaves', async () => {
    await start();
    const client = connect();
    await until(() => client.messages.length === 1, 'ready');
    expect(client.ws.protocol).toBe('uah.v1');
    const subscription = fake.subscriptions[0];
    subscription?.onEvent(event(1));
    subscription?.onEvent(event(2));
    await until(() => client.messages.length === 3, 'two events');
    expect(client.messages).toEqual([{ type: 'ready', after: 'evt_anchor' }, { type: 'event', event: event(1) }, { type: 'event', event: event(2) }]);
    client.ws.close();
    await client.closed;
    await until(() => fake.tail.size === 0, 'the unsubscription');
  });

  it('keeps a client that reads, and closes one that does not with 1013 and a hint to resume with after=', async () => {
    await start({ maxBufferedBytes: 256 * 1024 });
    const reader = connect();
    await until(() => reader.messages.length === 1, 'ready');
    const stalled = connect();
    await until(() => stalled.messages.length === 1, 'ready');
    const [toReader, toStalled] = fake.subscriptions;
    stalled.ws.pause();
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 20; i++) {
        toReader?.onEvent(event(round * 20 + i, 1_000));
        toStalled?.onEvent(event(round * 20 + i, 20_000));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await until(() => reader.messages.length === 2_001, 'every event at the reader');
    expect(toStalled?.active).toBe(false);
    stalled.ws.resume();
    expect(await stalled.closed).toEqual({ code: 1013, reason: 'Too slow to keep up: reconnect with after=<last event id>.' });
    expect(toReader?.active).toBe(true);
    reader.ws.close();
  });

  it('terminates a peer that stops answering pings, and closes with 1008 once the key is revoked', async () => {
    await start({ heartbeatMs: 40 });
    const deaf = connect({ autoPong: false });
    const healthy = connect();
    await until(() => deaf.messages.length === 1 && healthy.messages.length === 1, 'ready');
    expect((await deaf.closed).code).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    valid.key = false;
    expect(await healthy.closed).toEqual({ code: 1008, reason: 'The API key is no longer valid.' });
  });

  it('closes every stream with 1001 on shutdown, and with 1011 when its subscription fails', async () => {
    await start();
    const failing = connect();
    await until(() => failing.messages.length === 1, 'ready');
    const client = connect();
    await until(() => client.messages.length === 1, 'ready');
    fake.subscriptions[0]?.hooks.onError?.(new Error('read failed'));
    expect((await failing.closed).code).toBe(1011);
    await sockets.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'The hub is shutting down: reconnect with after=<last event id>.' });
    expect(fake.subscriptions[1]?.active).toBe(false);
  });
});
