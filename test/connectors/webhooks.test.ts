import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';

const HOOK_SECRET = 'whsec_test_0123456789abcdef';
const HOOKED = connectorSource({
  top: "import { createHmac, timingSafeEqual } from 'node:crypto';",
  extra: `
  verifyWebhook: async (ctx, request) => {
    const expected = createHmac('sha256', ctx.credentials.webhookSecret).update(request.rawBody).digest('hex');
    const given = request.headers['x-signature'] ?? '';
    if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return false;
    return { eventId: JSON.parse(new TextDecoder().decode(request.rawBody)).id };
  },
  handleWebhook: async (ctx, request) => {
    const payload = JSON.parse(new TextDecoder().decode(request.rawBody));
    if (payload.fail) throw new Error('handler failed once');
    const customer = await ctx.entities.customers.create({ businessName: payload.name });
    if (payload.failAfterWrite) throw new Error('handler failed after a write');
    return { status: 202, body: { customerId: customer.id, realm: request.query.realm ?? null } };
  },`,
});

let hub: TestHub;
let platform: ConnectorPlatform;
let folder: ConnectorFolder;
let org: { id: string; apiKey: string };
let other: { id: string; apiKey: string };

const sign = (body: string): string => createHmac('sha256', HOOK_SECRET).update(body).digest('hex');
const deliver = (body: string, signature = sign(body), to = org.id) =>
  hub.request('POST', `/v1/hooks/hooked/${to}?realm=r1`, { token: null, raw: body, headers: { 'content-type': 'text/plain', 'x-signature': signature } });
const customersNamed = async (name: string, orgId = org.id): Promise<number> => (await hub.core.services.customers.list(orgId, { limit: 100 })).data.filter((c) => c.businessName === name).length;

beforeAll(async () => {
  folder = connectorFolder();
  folder.add('hooked', {
    source: HOOKED,
    manifest: testManifest('hooked', { webhooks: { receives: true }, credentialsSchema: { type: 'object', properties: { webhookSecret: { type: 'string' } }, required: ['webhookSecret'] } }),
  });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
  hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
  org = await hub.createOrganization('Hooked');
  other = await hub.createOrganization('Other');
  const put = await hub.request('PUT', `/v1/organizations/${org.id}/integrations/hooked`, { token: org.apiKey, body: { credentials: { webhookSecret: HOOK_SECRET } } });
  expect(put.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await platform.stop();
  folder.remove();
  await hub.close();
});

describe('provider webhooks', () => {
  it('refuses a bad signature with 400 and does nothing', async () => {
    const body = JSON.stringify({ id: 'evt_bad', name: 'Forged' });
    const res = await deliver(body, sign(body + ' '));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('WEBHOOK_VERIFICATION_FAILED');
    expect(await customersNamed('Forged')).toBe(0);
  });

  it('verifies the exact bytes, handles the event once, and records its cause', async () => {
    const body = `{"id":"evt_1",   "name":"From hook"}\n`;
    const first = await deliver(body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ realm: 'r1' });
    const again = await deliver(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await customersNamed('From hook')).toBe(1);
    const events = (await hub.core.services.events.list(org.id, { types: 'customer.created', limit: 100 })).data.filter((e) => e.aggregateId === first.body.customerId);
    expect(events[0]?.metadata).toMatchObject({ source: 'WEBHOOK', causationId: 'hooked:evt_1', userId: 'connector:hooked' });
  });

  it('processes a redelivery after the handler failed', async () => {
    const failing = JSON.stringify({ id: 'evt_2', name: 'Second', fail: true });
    expect((await deliver(failing)).status).toBe(502);
    // The provider retries the same event id; this time the handler succeeds.
    const retried = JSON.stringify({ id: 'evt_2', name: 'Second' });
    expect((await deliver(retried)).status).toBe(200);
    expect(await customersNamed('Second')).toBe(1);
  });

  it('rolls back what a failed handler wrote, so the redelivery writes it once', async () => {
    const failing = JSON.stringify({ id: 'evt_4', name: 'Half Done', failAfterWrite: true });
    expect((await deliver(failing)).status).toBe(502);
    expect(await customersNamed('Half Done')).toBe(0);
    const retried = JSON.stringify({ id: 'evt_4', name: 'Half Done' });
    expect((await deliver(retried)).status).toBe(200);
    expect((await deliver(retried)).body).toEqual({ received: true, duplicate: true });
    expect(await customersNamed('Half Done')).toBe(1);
    const status = await hub.request('GET', `/v1/organizations/${org.id}/integrations/hooked/status`, { token: org.apiKey });
    expect(status.body.errorCount).toBeGreaterThan(0);
  });

  it('answers 404 for an organization without the integration, and for a bad path', async () => {
    const body = JSON.stringify({ id: 'evt_3', name: 'Elsewhere' });
    expect((await deliver(body, sign(body), other.id)).status).toBe(404);
    expect((await hub.request('POST', '/v1/hooks/HOOKED/x', { token: null, raw: body, headers: { 'content-type': 'text/plain' } })).status).toBe(404);
    expect(await customersNamed('Elsewhere', other.id)).toBe(0);
  });
});
