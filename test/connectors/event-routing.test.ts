import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createAmqpBus, createRelay, createSecretBox, type Bus, type Relay } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL, testQueueName, waitFor } from '../../core/src/events/testing.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';

/** Records each event it sees in its own state; its action makes a customer (whose event must not come back). */
const LISTENER_SOURCE = (key: string): string => connectorSource({
  action: "return await ctx.entities.customers.create({ businessName: 'made by listener' });",
  extra: `onEvent: async (ctx, event) => {
    // 'slow' holds its organization's handler until the test releases it.
    if (event.data.object.businessName === 'slow') while (!(await ctx.syncState.get('release'))) await new Promise((r) => setTimeout(r, 50));
    // 'poison' fails until the test cures it.
    if (event.data.object.businessName === 'poison' && !(await ctx.syncState.get('cured'))) throw new Error('cannot handle ' + event.aggregateId);
    await ctx.syncState.set(KEY, { type: event.type, org: event.organizationId, creds: ctx.credentials.apiKey });
  },`.replace('KEY', key),
});
const LISTENER = LISTENER_SOURCE("'seen.' + event.aggregateId");

const silent = pino({ level: 'silent' });
const prefix = testQueueName('connector');
let hub: TestHub;
let bus: Bus;
let relay: Relay;
let platform: ConnectorPlatform;
let folder: ConnectorFolder;
let orgA: { id: string; apiKey: string };
let orgB: { id: string; apiKey: string };
let orgC: { id: string; apiKey: string };

type Seen = Array<{ key: string; value: { org: string; creds: string } }>;
const seen = async (org: string): Promise<Seen> => hub.db.knex('connector_state').where({ organization_id: org, connector_id: 'listener' }).select<Seen>('key', 'value');

beforeAll(async () => {
  folder = connectorFolder();
  folder.add('listener', { source: LISTENER, manifest: testManifest('listener', { events: ['customer.created'] }) });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000 }, { logger: silent, secrets: createSecretBox(randomBytes(32)) });
  bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  hub = await createTestHub({ bus, extraRoutes: (services, knex) => platform.routes(services, knex) });
  relay = createRelay({ knex: hub.db.knex, bus, logger: silent, embedded: false });
  relay.start();
  await platform.startEventRouting(bus, { queuePrefix: prefix, retryDelaysMs: [200], maxAttempts: 2 });
  orgA = await hub.createOrganization('A');
  orgB = await hub.createOrganization('B');
  orgC = await hub.createOrganization('C');
  for (const [org, key] of [[orgA, 'key-of-A-1234'], [orgC, 'key-of-C-5678']] as const) {
    expect((await hub.request('PUT', `/v1/organizations/${org.id}/integrations/listener`, { token: org.apiKey, body: { credentials: { apiKey: key } } })).status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await platform.stop();
  await relay.stop();
  await hub.db.knex('connector_parked_events').delete();
  await bus.close();
  folder.remove();
  await hub.close();
});

describe('events to connectors', () => {
  it("reaches the connector only for organizations that enabled it, with that organization's credentials", async () => {
    const a = await hub.request('POST', `/v1/organizations/${orgA.id}/customers`, { token: orgA.apiKey, body: { businessName: 'In A' } });
    const b = await hub.request('POST', `/v1/organizations/${orgB.id}/customers`, { token: orgB.apiKey, body: { businessName: 'In B' } });
    await waitFor(async () => (await seen(orgA.id)).some((r) => r.key === `seen.${a.body.id}`));
    const rowA = (await seen(orgA.id)).find((r) => r.key === `seen.${a.body.id}`);
    expect(rowA?.value).toMatchObject({ org: orgA.id, creds: 'key-of-A-1234' });
    // B's event has passed through the same queue by now (it was committed before A's was seen... or just after): give it time.
    await new Promise((r) => setTimeout(r, 500));
    expect(await seen(orgB.id)).toEqual([]);
    expect(b.status).toBe(201);
  }, 30_000);

  it("does not send a connector's own change back to it", async () => {
    const made = await hub.request('POST', `/v1/organizations/${orgA.id}/integrations/listener/actions/echo`, { token: orgA.apiKey, body: {} });
    expect(made.status).toBe(200);
    const marker = await hub.request('POST', `/v1/organizations/${orgA.id}/customers`, { token: orgA.apiKey, body: { businessName: 'after' } });
    await waitFor(async () => (await seen(orgA.id)).some((r) => r.key === `seen.${marker.body.id}`));
    expect((await seen(orgA.id)).some((r) => r.key === `seen.${made.body.result.id}`)).toBe(false);
  }, 30_000);

  it('keeps one slow organization from holding up another', async () => {
    await hub.request('POST', `/v1/organizations/${orgA.id}/customers`, { token: orgA.apiKey, body: { businessName: 'slow' } });
    const slow = (await hub.request('GET', `/v1/organizations/${orgA.id}/customers?limit=100`, { token: orgA.apiKey })).body.data.find((c: { businessName: string }) => c.businessName === 'slow');
    const fast = await hub.request('POST', `/v1/organizations/${orgC.id}/customers`, { token: orgC.apiKey, body: { businessName: 'fast' } });
    // C's event is handled while A's handler is still held.
    await waitFor(async () => (await seen(orgC.id)).some((r) => r.key === `seen.${fast.body.id}`));
    expect((await seen(orgA.id)).some((r) => r.key === `seen.${slow.id}`)).toBe(false);
    await hub.db.knex('connector_state').insert({ organization_id: orgA.id, connector_id: 'listener', key: 'release', value: 'true' });
    await waitFor(async () => (await seen(orgA.id)).some((r) => r.key === `seen.${slow.id}`));
  }, 30_000);
});

describe('parked events', () => {
  const path = (org: { id: string }, tail: string): string => `/v1/organizations/${org.id}/integrations/listener${tail}`;
  type Parked = Array<{ eventId: string; organizationId: string; status: string; error: string; timesParked: number }>;
  const parkedOf = async (org: { id: string; apiKey: string }): Promise<Parked> => (await hub.request('GET', path(org, '/parked'), { token: org.apiKey })).body.data;

  it("shows each organization its own parked events, in the status too, and sends them back by hand", async () => {
    const a = await hub.request('POST', `/v1/organizations/${orgA.id}/customers`, { token: orgA.apiKey, body: { businessName: 'poison' } });
    const c = await hub.request('POST', `/v1/organizations/${orgC.id}/customers`, { token: orgC.apiKey, body: { businessName: 'poison' } });
    await waitFor(async () => (await parkedOf(orgA)).length === 1 && (await parkedOf(orgC)).length === 1);
    const [parkedA] = await parkedOf(orgA);
    expect(parkedA).toMatchObject({ organizationId: orgA.id, status: 'PARKED', error: `cannot handle ${a.body.id}`, timesParked: 1 });
    expect((await parkedOf(orgC))[0]?.error).toBe(`cannot handle ${c.body.id}`);
    const status = (await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey })).body;
    expect(status.parked).toMatchObject({ count: 1, latest: [{ eventId: parkedA!.eventId, error: `cannot handle ${a.body.id}` }] });
    // Another organization neither sees nor retries A's parked events.
    expect((await hub.request('GET', path(orgB, '/parked'), { token: orgB.apiKey })).status).toBe(404);
    expect((await hub.request('POST', path(orgC, '/parked/retry'), { token: orgC.apiKey, body: { eventIds: [parkedA!.eventId] } })).status).toBe(404);
    // Cured for A: the retry goes through the connector's queue and the handler now succeeds.
    await hub.db.knex('connector_state').insert({ organization_id: orgA.id, connector_id: 'listener', key: 'cured', value: 'true' });
    const retried = await hub.request('POST', path(orgA, '/parked/retry'), { token: orgA.apiKey, body: {} });
    expect(retried.status).toBe(202);
    expect(retried.body.data).toMatchObject([{ eventId: parkedA!.eventId, status: 'RETRIED' }]);
    await waitFor(async () => (await seen(orgA.id)).some((r) => r.key === `seen.${a.body.id}`));
    expect((await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey })).body.parked).toEqual({ count: 0, latest: [] });
    // Not cured for C: sent back, it fails at every attempt again and is parked a second time.
    const eventC = (await parkedOf(orgC))[0]!.eventId;
    expect((await hub.request('POST', path(orgC, '/parked/retry'), { token: orgC.apiKey, body: { eventIds: [eventC] } })).status).toBe(202);
    await waitFor(async () => (await parkedOf(orgC))[0]?.timesParked === 2);
    expect(await parkedOf(orgC)).toHaveLength(1);
  }, 40_000);
});

describe('event types added by a new version', () => {
  it('binds the existing queue to them once the version is installed, and delivers them', async () => {
    folder.add('listener-2', { source: LISTENER_SOURCE("'v2.' + event.type + '.' + event.aggregateId"), manifest: testManifest('listener', { version: '2.0.0', events: ['customer.created', 'customer.updated'] }) });
    await platform.catalog.refresh();
    expect(platform.catalog.get('listener')?.version).toBe('2.0.0');
    expect((await hub.request('PUT', `/v1/organizations/${orgA.id}/integrations/listener`, { token: orgA.apiKey, body: { version: '2.0.0' } })).status).toBe(200);
    const made = await hub.request('POST', `/v1/organizations/${orgA.id}/customers`, { token: orgA.apiKey, body: { businessName: 'to update' } });
    await hub.request('PATCH', `/v1/organizations/${orgA.id}/customers/${made.body.id}`, { token: orgA.apiKey, body: { businessName: 'updated' } });
    await waitFor(async () => (await seen(orgA.id)).some((r) => r.key === `v2.customer.updated.${made.body.id}`));
    expect((await seen(orgA.id)).some((r) => r.key === `v2.customer.created.${made.body.id}`)).toBe(true);
  }, 60_000);
});
