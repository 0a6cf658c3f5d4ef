import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import WebSocket from 'ws';
import type { Event, EventStreamMessage } from '@uah/schemas';
import { createClient, UahApiError, type EventSubscription, type UahClient } from '../../client/src/index.js';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';

/** A frame's text, whichever of its shapes `ws` hands over. */
const textOf = (data: WebSocket.RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
const silent = pino({ level: 'silent' });
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN = 'stream-admin';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely and checked by value
type Body = Record<string, any>;
interface Org {
  id: string;
  apiKey: string;
  client: UahClient;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw WebSocket on the stream, collecting its frames. */
function openStream(url: string, auth: { key?: string; protocol?: boolean }) {
  const messages: EventStreamMessage[] = [];
  const ws = new WebSocket(url, auth.protocol && auth.key ? ['uah.v1', `uah.bearer.${auth.key}`] : [], auth.key && !auth.protocol ? { headers: { authorization: `Bearer ${auth.key}` } } : {});
  ws.on('message', (data) => messages.push(JSON.parse(textOf(data)) as EventStreamMessage));
  const events = (): Event[] => messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
  const ready = (): EventStreamMessage | undefined => messages[0];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, messages, events, ready, closed };
}

/** Attempts a handshake and returns the refusal: status and problem body. */
function refusal(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<{ status: number; body: Body; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Body, headers: res.headers }));
    });
  });
}

describe('the live event stream through the hub', () => {
  const database = `uah_stream_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-stream-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  let hub: Hub;
  let wsBase: string;
  let acme: Org;
  let other: Org;

  async function call(method: string, path: string, token: string, body?: unknown): Promise<Body> {
    const res = await fetch(hub.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Body;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function newOrg(name: string): Promise<Org> {
    const org = await call('POST', '/v1/organizations', ADMIN, { name });
    return { id: org['id'] as string, apiKey: org['apiKey'] as string, client: createClient({ baseUrl: hub.url, apiKey: org['apiKey'] as string, organizationId: org['id'] as string, WebSocket }) };
  }

  const createCustomer = (org: Org, name: string) => org.client.customers.create({ businessName: name });
  /** The event log after an event (or from the start), as the REST API returns it. */
  async function logAfter(org: Org, after: string | null | undefined, types?: string): Promise<Event[]> {
    const out: Event[] = [];
    for await (const event of org.client.events.iterate({ limit: 100, ...(after ? { after } : {}), ...(types ? { types } : {}) })) out.push(event);
    return out;
  }
  const streamUrl = (org: Org, query = ''): string => `${wsBase}/v1/organizations/${org.id}/events${query}`;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    hub = await startHub(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent', DATA_DIR: dataDir }), silent);
    wsBase = hub.url.replace(/^http/, 'ws');
    acme = await newOrg('Acme Streams Ltd');
    other = await newOrg('Other Ltd');
  });
  afterAll(async () => {
    await hub?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams the events committed after the connection opened, in order, exactly as GET …/events returns them', async () => {
    const stream = openStream(streamUrl(acme), { key: acme.apiKey });
    await until(() => stream.ready() !== undefined, 'the ready frame');
    const ready = stream.ready();
    expect(ready?.type).toBe('ready');
    const start = ready?.type === 'ready' ? ready.after : null;
    const ada = await createCustomer(acme, 'Ada Ltd');
    await createCustomer(other, 'Not Yours Ltd');
    await acme.client.customers.update(ada.id, { email: 'ada@example.com' });
    await createCustomer(acme, 'Grace Ltd');
    await until(() => stream.events().length === 3, 'three events');
    const log = await logAfter(acme, start);
    expect(log.map((e) => e.type)).toEqual(['customer.created', 'customer.updated', 'customer.created']);
    expect(stream.events()).toEqual(log);
    expect(stream.events().every((e) => e.organizationId === acme.id)).toBe(true);
    stream.ws.close();
  });

  it('with after= replays the backlog, then continues live, with no gap and no duplicate while events are being written', async () => {
    const before = await logAfter(acme, undefined);
    const anchor = before[before.length - 2]?.id;
    for (let i = 0; i < 5; i++) await createCustomer(acme, `Backlog ${i}`);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await createCustomer(acme, `Live ${i}`);
    })();
    const stream = openStream(streamUrl(acme, `?after=${anchor}`), { key: acme.apiKey, protocol: true });
    await new Promise((resolve) => stream.ws.once('open', resolve));
    expect(stream.ws.protocol).toBe('uah.v1');
    await until(() => stream.events().length >= 20, 'twenty events');
    writing = false;
    await writer;
    const log = await logAfter(acme, anchor);
    await until(() => stream.events().length >= log.length, 'the rest');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.ready()).toEqual({ type: 'ready', after: anchor });
    expect(stream.events().map((e) => e.id)).toEqual(log.map((e) => e.id));
    expect(stream.events()).toEqual(log);
    stream.ws.close();
  });

  it('filters by type', async () => {
    const stream = openStream(streamUrl(acme, '?types=customer.updated,customer.deactivated'), { key: acme.apiKey });
    await until(() => stream.ready() !== undefined, 'the ready frame');
    const ready = stream.ready();
    const customer = await createCustomer(acme, 'Typed Ltd');
    await acme.client.customers.update(customer.id, { phone: '+44 20 7946 0000' });
    await acme.client.customers.deactivate(customer.id);
    await until(() => stream.events().length === 2, 'two events');
    expect(stream.events().map((e) => [e.type, e.aggregateId])).toEqual([['customer.updated', customer.id], ['customer.deactivated', customer.id]]);
    expect(stream.events()).toEqual(await logAfter(acme, ready?.type === 'ready' ? ready.after : null, 'customer.updated,customer.deactivated'));
    stream.ws.close();
  });

  it('refuses before the upgrade: 401 with a wrong key, 404 for another organization’s key, 403 without read, 400 for a bad query', async () => {
    expect((await refusal(streamUrl(acme), { authorization: 'Bearer uah_sk_wrong' })).status).toBe(401);
    expect((await refusal(streamUrl(acme), {}, ['uah.v1', 'uah.bearer.uah_sk_wrong'])).status).toBe(401);
    // The key is never taken from the URL.
    expect(await refusal(streamUrl(acme, `?apiKey=${acme.apiKey}`))).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: '/apiKey', in: 'query' }] } });
    expect(await refusal(streamUrl(acme), { authorization: `Bearer ${other.apiKey}` })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const writeOnly = await call('POST', `/v1/organizations/${acme.id}/api-keys`, acme.apiKey, { name: 'writer', scopes: ['write'] });
    expect(await refusal(streamUrl(acme), { authorization: `Bearer ${writeOnly['secret'] as string}` })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    const auth = { authorization: `Bearer ${acme.apiKey}` };
    const badTypes = await refusal(streamUrl(acme, '?types=Customer%20Created'), auth);
    expect(badTypes).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: '/types', in: 'query' }] } });
    const unknownAfter = await refusal(streamUrl(acme, '?after=evt_00000000000000000000000000'), auth);
    expect(unknownAfter).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: '/after', in: 'query', message: 'unknown event id' }] } });
    const othersEvent = (await logAfter(other, undefined))[0]?.id;
    expect((await refusal(streamUrl(acme, `?after=${othersEvent}`), auth)).status).toBe(400);
    expect((await refusal(streamUrl(acme, '?from=start&after=evt_1'), auth)).body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/from' }] });
    expect((await refusal(streamUrl(acme, '?limit=5'), auth)).body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/limit', message: 'unknown field' }] });
    expect(await refusal(`${wsBase}/v1/organizations/${acme.id}/customers`, auth)).toMatchObject({ status: 404, body: { code: 'ROUTE_NOT_FOUND' } });
  });

  it('speaks the SUBSCRIBE protocol: a socket opened without a key authenticates with its first frame, and a later SUBSCRIBE changes its filter', async () => {
    const stream = openStream(streamUrl(acme), {});
    await new Promise((resolve) => stream.ws.once('open', resolve));
    stream.ws.send(JSON.stringify({ type: 'SUBSCRIBE', events: ['customer.created'], apiKey: acme.apiKey }));
    await until(() => stream.ready() !== undefined, 'the ready frame');
    const customer = await createCustomer(acme, 'Subscribed Ltd');
    await acme.client.customers.update(customer.id, { phone: '+44 20 7946 0001' });
    await until(() => stream.events().length === 1, 'the created event');
    stream.ws.send(JSON.stringify({ type: 'SUBSCRIBE', events: ['customer.*'] }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await acme.client.customers.deactivate(customer.id);
    await until(() => stream.events().length === 2, 'the deactivated event');
    expect(stream.events().map((e) => [e.type, e.aggregateId])).toEqual([['customer.created', customer.id], ['customer.deactivated', customer.id]]);
    stream.ws.close();
  });

  it('closes a socket opened without a key that sends no SUBSCRIBE in time, or a SUBSCRIBE with a bad key, saying why', async () => {
    const silentOne = openStream(streamUrl(acme), {});
    const badKey = openStream(streamUrl(acme), {});
    const otherKey = openStream(streamUrl(acme), {});
    await Promise.all([badKey, otherKey].map((s) => new Promise((resolve) => s.ws.once('open', resolve))));
    badKey.ws.send(JSON.stringify({ type: 'SUBSCRIBE', events: [], apiKey: 'uah_sk_wrong' }));
    otherKey.ws.send(JSON.stringify({ type: 'SUBSCRIBE', events: [], apiKey: other.apiKey }));
    expect(await badKey.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/^UNAUTHENTICATED/) });
    expect(await otherKey.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/^NOT_FOUND/) });
    expect(await silentOne.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/No SUBSCRIBE frame in time/) });
    expect([...silentOne.messages, ...badKey.messages, ...otherKey.messages]).toEqual([]);
  });

  it('client.events.subscribe reconnects after the server drops it and resumes with no event missed or repeated', async () => {
    const received: Event[] = [];
    let readies = 0;
    const errors: Error[] = [];
    const subscription = acme.client.events.subscribe({ onEvent: (event) => void received.push(event), onReady: () => void (readies += 1), onError: (e) => void errors.push(e) });
    await until(() => readies === 1, 'ready');
    const start = (await logAfter(acme, undefined)).at(-1)?.id;
    await createCustomer(acme, 'Before Drop 1');
    await createCustomer(acme, 'Before Drop 2');
    await until(() => received.length === 2, 'two events');
    for (const socket of hub.eventSocket.wss.clients) socket.terminate();
    for (let i = 0; i < 3; i++) await createCustomer(acme, `While Down ${i}`);
    await until(() => readies === 2, 'the reconnection');
    await createCustomer(acme, 'After Reconnect');
    await until(() => received.length === 6, 'six events');
    await new Promise((resolve) => setTimeout(resolve, 300));
    subscription.close();
    const log = await logAfter(acme, start);
    expect(received.map((e) => e.id)).toEqual(log.map((e) => e.id));
    expect(subscription.lastEventId).toBe(log.at(-1)?.id);
    expect(errors.map((e) => e.name)).toEqual(['UahConnectionError']);
  });

  it('client.events.subscribe resumes from where the stream began when it drops before any event, and from=start replays everything', async () => {
    const fresh = await newOrg('Fresh Ltd');
    const received: Event[] = [];
    let readies = 0;
    const subscription = fresh.client.events.subscribe({ types: ['customer.created'], onEvent: (event) => void received.push(event), onReady: () => void (readies += 1) });
    await until(() => readies === 1, 'ready');
    for (const socket of hub.eventSocket.wss.clients) socket.terminate();
    const made = await createCustomer(fresh, 'During The Gap');
    await until(() => received.length === 1, 'the event made while disconnected');
    expect(received[0]?.aggregateId).toBe(made.id);
    subscription.close();

    const replayed: Event[] = [];
    const all = fresh.client.events.subscribe({ from: 'start', onEvent: (event) => void replayed.push(event) });
    const log = await logAfter(fresh, undefined);
    await until(() => replayed.length === log.length, 'the replay');
    all.close();
    expect(replayed).toEqual(log);
  });

  it('client.events.subscribe ends with a UahApiError when the stream is refused for good', async () => {
    const bad = createClient({ baseUrl: hub.url, apiKey: 'uah_sk_nope', organizationId: acme.id, WebSocket });
    const errors: Error[] = [];
    bad.events.subscribe({ onEvent: () => undefined, onError: (e) => void errors.push(e) });
    await until(() => errors.length > 0, 'the error');
    expect(errors[0]).toBeInstanceOf(UahApiError);
    expect(errors[0]).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const unknown: Error[] = [];
    acme.client.events.subscribe({ after: 'evt_00000000000000000000000000', onEvent: () => undefined, onError: (e) => void unknown.push(e) });
    await until(() => unknown.length > 0, 'the error');
    expect(unknown[0]).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(errors).toHaveLength(1);
    expect(unknown).toHaveLength(1);
  });
});

describe('the live event stream on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-stream-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('streams through the client on PGlite, and the hub stops with the stream open', async () => {
    const hub = await startHub(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent' }), silent);
    const errors: Error[] = [];
    let subscription: EventSubscription | undefined;
    try {
      const org = await createClient({ baseUrl: hub.url, apiKey: ADMIN }).organizations.create({ name: 'Embedded Streams Ltd' });
      const uah = createClient({ baseUrl: hub.url, apiKey: org.apiKey, organizationId: org.id, WebSocket });
      const received: Event[] = [];
      let ready = false;
      subscription = uah.events.subscribe({ onEvent: (event) => void received.push(event), onReady: () => void (ready = true), onError: (e) => void errors.push(e) });
      await until(() => ready, 'ready');
      const customer = await uah.customers.create({ businessName: 'Lite Ltd' });
      await until(() => received.length === 1, 'the event');
      expect(received).toEqual((await uah.events.list({ aggregateId: customer.id })).data);
    } finally {
      await hub.stop();
    }
    await until(() => errors.length === 1, 'the shutdown notice');
    subscription?.close();
    expect(errors[0]?.message).toMatch(/closed \(1001: The hub is shutting down/);
  });
});
