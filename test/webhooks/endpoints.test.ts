import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createSecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createHttpTransport, type HttpTransport } from '../../hub/src/webhooks/http-transport.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('webhook endpoints API', () => {
  let hub: TestHub;
  let strict: TestHub;
  let transports: HttpTransport[];
  let receiver: Receiver;
  let org: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const base = (): string => `/v1/organizations/${org.id}/webhooks`;

  beforeAll(async () => {
    transports = [createHttpTransport({ policy: { allowPrivate: true } }), createHttpTransport({ policy: { allowPrivate: false } })];
    const secretBox = createSecretBox(randomBytes(32));
    hub = await createTestHub({ webhooks: { transport: transports[0] as HttpTransport, secretBox } });
    strict = await createTestHub({ webhooks: { transport: transports[1] as HttpTransport, secretBox } });
    org = await hub.createOrganization('Hooks Ltd');
    other = await hub.createOrganization('Other Ltd');
    receiver = await startReceiver((n) => (n === 1 ? { status: 200, body: 'pong' } : { status: 500, body: 'x'.repeat(5000) }));
  });
  afterAll(async () => {
    await receiver.close();
    await hub.close();
    await strict.close();
    for (const transport of transports) transport.close();
  });

  it('creates an endpoint, returns its secret once, and never again', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['invoice.*', 'customer.created'], description: 'ERP', retryPolicy: { maxRetries: 2 } } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({ status: 'ACTIVE', events: ['invoice.*', 'customer.created'], timeoutMs: 10000, retryPolicy: { maxRetries: 2, backoffMultiplier: 2, initialDelay: 1000, maxDelay: 300000 } });
    const got = await hub.request('GET', `${base()}/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify((await hub.request('GET', base())).body)).not.toContain(created.body.secret);
    // Stored sealed, never in clear.
    const row = await hub.db.knex('webhook_endpoints').where('id', created.body.id).first();
    expect(JSON.stringify(row)).not.toContain(created.body.secret.slice(6));
    // Another organization's key sees nothing.
    expect((await hub.request('GET', `${base()}/${created.body.id}`, { token: other.apiKey })).status).toBe(404);
    expect((await hub.request('GET', `/v1/organizations/${other.id}/webhooks`, { token: other.apiKey })).body.data).toEqual([]);
  });

  it('refuses unsafe URLs at registration when private targets are not allowed', async () => {
    const strictOrg = await strict.createOrganization('Strict Ltd');
    for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://0x7f000001/', 'https://169.254.169.254/latest', 'https://[::ffff:10.0.0.1]/', 'https://user@example.com/', 'https://localhost./']) {
      const res = await strict.request('POST', `/v1/organizations/${strictOrg.id}/webhooks`, { token: strictOrg.apiKey, body: { url, events: ['*'] } });
      expect(res.status, url).toBe(422);
      expect(res.body.code).toBe('WEBHOOK_URL_UNSAFE');
      expect(res.body.errors[0].field).toBe('/url');
    }
    expect(Number((await strict.db.knex('webhook_endpoints').count({ n: '*' }).first())?.n)).toBe(0);
  });

  it('refuses bad filters, reserved headers and inconsistent policies with 4xx', async () => {
    for (const body of [
      { url: receiver.url, events: ['invoice.nope'] },
      { url: receiver.url, events: ['*.paid'] },
      { url: receiver.url, events: [] },
      { url: receiver.url, events: ['*'], headers: { 'webhook-signature': 'forged' } },
      { url: receiver.url, events: ['*'], headers: { 'bad header': 'x' } },
      { url: receiver.url, events: ['*'], retryPolicy: { initialDelay: 5000, maxDelay: 1000 } },
      { url: receiver.url, events: ['*'], timeoutMs: 60_000 },
    ]) {
      const res = await hub.request('POST', base(), { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('updates, disables, re-enables and deletes', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    const id = created.body.id as string;
    const patched = await hub.request('PATCH', `${base()}/${id}`, { body: { events: ['payment.*'], active: false, headers: { 'X-Tenant': 'acme' } } });
    expect(patched.body).toMatchObject({ events: ['payment.*'], status: 'DISABLED', disabledReason: 'Disabled by the API.', headers: { 'X-Tenant': 'acme' } });
    expect((await hub.request('GET', `${base()}?status=DISABLED`)).body.data.map((e: { id: string }) => e.id)).toContain(id);
    const enabled = await hub.request('POST', `${base()}/${id}/enable`, { body: { redeliverMissed: false } });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ endpoint: { status: 'ACTIVE' }, scheduled: 0 });
    expect((await hub.request('DELETE', `${base()}/${id}`)).status).toBe(204);
    expect((await hub.request('GET', `${base()}/${id}`)).status).toBe(404);
    expect((await hub.request('DELETE', `${base()}/${id}`)).status).toBe(404);
  });

  it('rotates the secret: the new one is returned once and both sign for 24 hours', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    const rotated = await hub.request('POST', `${base()}/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt as string) - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('sends a signed test ping and reports what the endpoint answered', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'], headers: { 'X-Tenant': 'acme' } } });
    const before = receiver.received.length;
    const ping = await hub.request('POST', `${base()}/${created.body.id}/test`);
    expect(ping.status).toBe(200);
    expect(ping.body).toMatchObject({ ok: true, statusCode: 200, responseBody: 'pong', error: null });
    const got = receiver.received[before];
    expect(got?.headers['x-tenant']).toBe('acme');
    expect(got?.headers['x-webhook-event']).toBe('webhook.test');
    expect(new Webhook(created.body.secret as string).verify(got?.body ?? '', got?.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test', organizationId: org.id });
    // A failing answer is reported with the first kilobyte of its body.
    const failing = await hub.request('POST', `${base()}/${created.body.id}/test`);
    expect(failing.body).toMatchObject({ ok: false, statusCode: 500 });
    expect(failing.body.responseBody).toHaveLength(1024);
  });

  it('keeps each test ping in the deliveries, marked test, with its one attempt', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    const ping = await hub.request('POST', `${base()}/${created.body.id}/test`);
    const list = (await hub.request('GET', `${base()}/${created.body.id}/deliveries`)).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: ping.body.deliveryId, test: true, eventType: 'webhook.test', status: ping.body.ok ? 'DELIVERED' : 'FAILED', nextAttemptAt: null });
    expect(list[0].attempts).toMatchObject([{ number: 1, statusCode: ping.body.statusCode }]);
    const one = await hub.request('GET', `${base()}/${created.body.id}/deliveries/${ping.body.deliveryId}`);
    expect(one.body).toMatchObject({ test: true, attempts: [{ number: 1 }] });
  });

  it('keeps every secret rotated out in the last 24 hours signing, so two rotations in a day cut no receiver off', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    const first = await hub.request('POST', `${base()}/${created.body.id}/rotate-secret`);
    const second = await hub.request('POST', `${base()}/${created.body.id}/rotate-secret`);
    const before = receiver.received.length;
    await hub.request('POST', `${base()}/${created.body.id}/test`);
    const got = receiver.received[before];
    expect(got?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(3);
    // A receiver still on any of the three secrets verifies the ping.
    for (const secret of [created.body.secret, first.body.secret, second.body.secret] as string[]) {
      expect(new Webhook(secret).verify(got?.body ?? '', got?.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
    }
    // The body signature uses the current secret only.
    expect(got?.headers['x-webhook-signature-256']).toBe('sha256=' + createHmac('sha256', Buffer.from((second.body.secret as string).slice(6), 'base64')).update(got?.body ?? '').digest('hex'));
    // Past the grace period only the current one signs; at most four previous ones are kept meanwhile.
    await hub.db.knex('webhook_endpoints').where('id', created.body.id).update({ previous_secrets: JSON.stringify([{ sealed: 'v1.x.y.z', expiresAt: new Date(Date.now() - 1000).toISOString() }]) });
    const after = receiver.received.length;
    await hub.request('POST', `${base()}/${created.body.id}/test`);
    expect(receiver.received[after]?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(1);
    expect((await hub.request('GET', `${base()}/${created.body.id}`)).body.previousSecretExpiresAt).toBeNull();
    for (let i = 0; i < 6; i++) await hub.request('POST', `${base()}/${created.body.id}/rotate-secret`);
    const row = await hub.db.knex('webhook_endpoints').where('id', created.body.id).first();
    expect(row.previousSecrets).toHaveLength(4);
  });

  it('prunes settled deliveries and their attempts past the retention period, never pending ones', async () => {
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    const old = (await hub.request('POST', `${base()}/${created.body.id}/test`)).body.deliveryId as string;
    const recent = (await hub.request('POST', `${base()}/${created.body.id}/test`)).body.deliveryId as string;
    const { knex } = hub.db;
    const monthAgo = new Date(Date.now() - 31 * 24 * 3600_000);
    await knex('webhook_deliveries').where('id', old).update({ updated_at: monthAgo });
    await knex('webhook_deliveries').insert({
      id: 'msg_pendingold', organization_id: org.id, endpoint_id: created.body.id, event_id: 'evt_pendingold', event_type: 'customer.created', body: '{}',
      status: 'PENDING', next_attempt_at: new Date(), event_timestamp: monthAgo, created_at: monthAgo, updated_at: monthAgo,
    });
    const attempts = async (id: string): Promise<number> => Number((await knex('webhook_attempts').where('delivery_id', id).count({ n: '*' }).first())?.n);
    expect(await attempts(old)).toBe(1);
    expect(await hub.core.services.webhooks.pruneSettled()).toBeGreaterThanOrEqual(1);
    const left = (await knex('webhook_deliveries').where('endpoint_id', created.body.id).select('id')).map((r: { id: string }) => r.id).sort();
    expect(left).toEqual([recent, 'msg_pendingold'].sort());
    expect(await attempts(old)).toBe(0);
    expect(await attempts(recent)).toBe(1);
  });

  it('answers 404 for deliveries of unknown endpoints and refuses malformed replays', async () => {
    expect((await hub.request('GET', `${base()}/whe_nope/deliveries`)).status).toBe(404);
    const created = await hub.request('POST', base(), { body: { url: receiver.url, events: ['*'] } });
    expect((await hub.request('GET', `${base()}/${created.body.id}/deliveries/msg_nope`)).status).toBe(404);
    expect((await hub.request('POST', `${base()}/${created.body.id}/replay`, { body: {} })).status).toBe(400);
    expect((await hub.request('POST', `${base()}/${created.body.id}/replay`, { body: { after: 'evt_1', from: '2026-01-01T00:00:00Z' } })).status).toBe(400);
    expect((await hub.request('POST', `${base()}/${created.body.id}/replay`, { body: { after: 'evt_unknown' } })).status).toBe(400);
  });
});
