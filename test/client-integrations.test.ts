import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { UahApiError, UniversalAccountingAPI, verifyWebhook } from '../client/src/index.js';
import { createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../hub/src/connectors/platform.js';
import { connectorFolder, testManifest, type ConnectorFolder } from './connectors/fixtures.js';
import { createFixture, type Fixture } from './webhooks/fixture.js';
import { startReceiver, until, type Receiver } from './webhooks/receiver.js';

/** The seed's webhook forms and the webhook resource, against a hub delivering over RabbitMQ to a local receiver. */
describe('client webhooks', () => {
  let fixture: Fixture;
  let receiver: Receiver;
  let api: UniversalAccountingAPI;
  let orgId: string;

  beforeAll(async () => {
    fixture = await createFixture();
    receiver = await startReceiver(() => ({ status: 200 }));
    const org = await fixture.hub.createOrganization('Hooked Ltd');
    orgId = org.id;
    api = new UniversalAccountingAPI({ baseUrl: `${fixture.hub.baseUrl}/v1`, apiKey: org.apiKey });
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await fixture?.close();
  });

  it('list, create and test in the specification form; deliveries, redelivery, rotation, update and delete', async () => {
    const endpoint = await api.webhooks.create(orgId, { url: receiver.url, events: ['customer.*'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await api.webhooks.list(orgId)).data.map((e) => e.id)).toEqual([endpoint.id]);

    const ping = await api.webhooks.test(orgId, endpoint.id);
    expect(ping).toMatchObject({ ok: true, statusCode: 200 });
    expect(verifyWebhook(endpoint.secret, receiver.received[0]?.headers as Record<string, string>, receiver.received[0]?.body ?? '').type).toBe('webhook.test');

    await api.customers.create(orgId, { businessName: 'Delivered Ltd' });
    // The test ping is kept among the deliveries too, marked `test`.
    await until(async () => (await api.webhooks.deliveries(orgId, endpoint.id)).data.some((d) => !d.test && d.status === 'DELIVERED'));
    const delivery = (await api.webhooks.deliveries(orgId, endpoint.id)).data.find((d) => !d.test);
    expect(delivery).toMatchObject({ eventType: 'customer.created', status: 'DELIVERED' });
    expect(await api.webhooks.getDelivery(orgId, endpoint.id, delivery?.id ?? '')).toMatchObject({ id: delivery?.id });
    const again = await api.webhooks.redeliver(orgId, endpoint.id, delivery?.id ?? '');
    expect(again).toMatchObject({ id: delivery?.id, status: 'PENDING' });
    await until(() => receiver.received.filter((r) => r.headers['webhook-id'] === delivery?.id).length === 2);

    const rotated = await api.webhooks.rotateSecret(orgId, endpoint.id);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(await api.webhooks.update(orgId, endpoint.id, { description: 'CRM' })).toMatchObject({ description: 'CRM' });
    await api.webhooks.delete(orgId, endpoint.id);
    await expect(api.webhooks.get(orgId, endpoint.id)).rejects.toMatchObject({ status: 404 });
  }, 60_000);
});

const INTENT_SOURCE = `import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
export default defineConnector({
  manifest,
  sync: { customer: async () => ({ created: 0, updated: 0, skipped: 0, failed: 0 }) },
  actions: {
    create_payment_intent: async (ctx, input) => ({ id: 'pi_test_1', clientSecret: 'pi_test_1_secret_x', status: 'requires_payment_method', amount: input.amount, currency: input.currency }),
  },
});
`;

/**
 * The catalog, integrations and `payments.createStripeIntent`, with a stand-in for the Stripe connector (a
 * connector of the id `stripe` that offers the `create_payment_intent` action) written by the test.
 */
describe('client connectors and integrations', () => {
  let hub: TestHub;
  let platform: ConnectorPlatform;
  let folder: ConnectorFolder;
  let api: UniversalAccountingAPI;
  let orgId: string;

  beforeAll(async () => {
    folder = connectorFolder();
    const action = { name: 'create_payment_intent', description: 'A payment intent.', inputSchema: { type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' }, customerId: { type: 'string' } } } };
    folder.add('stripe', { manifest: testManifest('stripe', { actions: [action] }), source: INTENT_SOURCE });
    platform = await createConnectorPlatform({ search: { paths: [folder.root] }, loadTimeoutMs: 20_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
    hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
    const org = await hub.createOrganization('Integrated Ltd');
    orgId = org.id;
    api = new UniversalAccountingAPI({ baseUrl: hub.baseUrl, apiKey: org.apiKey });
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
    folder?.remove();
    await hub?.close();
  });

  const intent = { amount: 15_000, currency: 'USD' as const, customerId: 'cus_1' };

  it('createStripeIntent answers a clear problem while the Stripe connector is not enabled', async () => {
    const refused = await api.payments.createStripeIntent(orgId, intent).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UahApiError);
    expect(refused).toMatchObject({ status: 404, code: 'NOT_FOUND', detail: 'No integration with stripe in this organization.' });
  });

  it('catalog, enable, status, sync, sync config, actions, disable', async () => {
    expect((await api.connectors.list()).data.map((c) => c.id)).toContain('stripe');
    expect(await api.connectors.get('stripe')).toMatchObject({ id: 'stripe', available: true });
    const { latestVersion } = await api.connectors.get('stripe');
    expect((await api.connectors.get('stripe', { version: latestVersion as string })).manifest?.version).toBe(latestVersion);
    const admin = new UniversalAccountingAPI({ baseUrl: hub.baseUrl, apiKey: TEST_ADMIN_TOKEN });
    expect((await admin.connectors.list()).data.length).toBeGreaterThan(0);

    const enabled = await api.integrations.enable(orgId, 'stripe', { credentials: { apiKey: 'sk_test_0123456789abcdef' } });
    expect(enabled).toMatchObject({ connectorId: 'stripe', isActive: true, credentialsHint: { apiKey: '••••cdef' } });
    expect((await api.integrations.list(orgId)).data.map((i) => i.connectorId)).toEqual(['stripe']);
    expect(await api.integrations.get(orgId, 'stripe')).toMatchObject({ isActive: true });
    expect(await api.integrations.status(orgId, 'stripe')).toMatchObject({ provider: 'stripe', isActive: true, dataTypes: ['customer'] });

    const paid = await api.payments.createStripeIntent(orgId, intent);
    expect(paid).toEqual({ id: 'pi_test_1', clientSecret: 'pi_test_1_secret_x', status: 'requires_payment_method', amount: 15_000, currency: 'USD' });
    expect((await api.integrations.runAction(orgId, 'stripe', 'create_payment_intent', intent)).action).toBe('create_payment_intent');

    const queued = await api.integrations.sync(orgId, 'stripe', { dataTypes: ['customer'] });
    const [job] = queued.data;
    expect(job).toMatchObject({ dataType: 'customer', trigger: 'manual' });
    expect((await api.integrations.syncJobs(orgId, 'stripe')).data.map((j) => j.id)).toContain(job?.id);
    expect(await api.integrations.syncJob(orgId, 'stripe', job?.id ?? '')).toMatchObject({ id: job?.id });
    await api.integrations.setSyncConfig(orgId, 'stripe', { conflictResolution: 'NEWEST_WINS', lookbackMinutes: 30 });
    expect(await api.integrations.syncConfig(orgId, 'stripe')).toMatchObject({ conflictResolution: 'NEWEST_WINS', lookbackMinutes: 30 });

    expect(await api.integrations.disable(orgId, 'stripe')).toMatchObject({ isActive: false });
    await expect(api.payments.createStripeIntent(orgId, intent)).rejects.toMatchObject({ status: 409, code: 'INTEGRATION_INACTIVE' });
  }, 60_000);
});
