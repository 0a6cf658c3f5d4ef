import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createHmac } from 'node:crypto';
import { createFixture, type Fixture } from './fixture.js';
import { startReceiver, until, type Receiver, type Script } from './receiver.js';

describe('webhook delivery through RabbitMQ to local receivers', () => {
  let fx: Fixture;
  let org: { id: string; apiKey: string };
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    fx = await createFixture();
    org = await fx.hub.createOrganization('Deliveries Ltd');
  });
  afterEach(async () => {
    // Endpoints of one test must not receive the next test's events.
    await fx.hub.db.knex('webhook_endpoints').update({ status: 'DISABLED', disabled_at: new Date() });
  });
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
    await fx.close();
  });

  async function endpoint(script: Script, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string; receiver: Receiver }> {
    const receiver = await startReceiver(script);
    receivers.push(receiver);
    const res = await fx.hub.request('POST', `/v1/organizations/${org.id}/webhooks`, { body: { url: receiver.url, events: ['customer.*'], ...extra } });
    expect(res.status).toBe(201);
    return { id: res.body.id, secret: res.body.secret, receiver };
  }

  const customer = async (name: string): Promise<string> => (await fx.hub.request('POST', `/v1/organizations/${org.id}/customers`, { body: { firstName: name } })).body.id;
  const deliveries = async (endpointId: string) => (await fx.hub.request('GET', `/v1/organizations/${org.id}/webhooks/${endpointId}/deliveries?limit=100`)).body.data;

  it('delivers each matching event once, signed so that the standardwebhooks package verifies it', async () => {
    const { id, secret, receiver } = await endpoint(() => ({ status: 204 }), { events: ['customer.created'] });
    const customerId = await customer('Ada');
    await until(async () => (await deliveries(id))[0]?.status === 'DELIVERED');
    const got = receiver.received[0];
    const event = new Webhook(secret).verify(got?.body ?? '', got?.headers as Record<string, string>) as { id: string; type: string; aggregateId: string };
    expect(event).toMatchObject({ type: 'customer.created', aggregateId: customerId });
    expect(got?.headers['x-webhook-signature-256']).toBe('sha256=' + createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(got?.body ?? '').digest('hex'));
    expect(got?.headers['x-webhook-event']).toBe('customer.created');
    expect(got?.headers['x-webhook-delivery']).toBe(got?.headers['webhook-id']);
    const list = await deliveries(id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: got?.headers['webhook-id'], eventId: event.id, status: 'DELIVERED', attempts: [{ number: 1, statusCode: 204, error: null }] });
  });

  it('a receiver failing three times then succeeding ends DELIVERED with four attempts logged, one webhook-id throughout', async () => {
    const { id, receiver } = await endpoint((n) => (n <= 3 ? { status: 500, body: `fail ${n}` } : { status: 200 }), { retryPolicy: { initialDelay: 20, maxDelay: 100 } });
    await customer('Grace');
    await until(async () => (await deliveries(id))[0]?.status === 'DELIVERED');
    const [delivery] = await deliveries(id);
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(delivery.attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3, 4]);
    expect(delivery.attempts[0].responseBody).toBe('fail 1');
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    const one = await fx.hub.request('GET', `/v1/organizations/${org.id}/webhooks/${id}/deliveries/${delivery.id}`);
    expect(one.body.attempts).toHaveLength(4);
    // The success ends the endpoint's failure streak.
    const ep = await fx.hub.request('GET', `/v1/organizations/${org.id}/webhooks/${id}`);
    expect(ep.body).toMatchObject({ consecutiveFailures: 0, failingSince: null });
  });

  it('retries by the policy, ×2 from the initial delay up to the maximum, then FAILED; redelivery starts a new round', async () => {
    const { id, receiver } = await endpoint(() => ({ status: 500 }), { retryPolicy: { maxRetries: 3, backoffMultiplier: 2, initialDelay: 150, maxDelay: 400 } });
    await customer('Edsger');
    await until(async () => (await deliveries(id))[0]?.status === 'FAILED');
    expect(receiver.received).toHaveLength(4);
    const gaps = receiver.received.slice(1).map((r, i) => r.at - (receiver.received[i]?.at ?? 0));
    // 150, 300, 400 (capped) with ±20 % jitter: never sooner. (How much later depends on the machine's load;
    // the exact delays are checked in core/src/webhooks/policy.test.ts.)
    [150, 300, 400].forEach((expected, i) => expect(gaps[i]).toBeGreaterThanOrEqual(expected * 0.8 - 5));
    expect(receiver.received.at(-1)?.at ?? 0).toBeLessThan((receiver.received[0]?.at ?? 0) + 10_000);
    const [delivery] = await deliveries(id);
    const again = await fx.hub.request('POST', `/v1/organizations/${org.id}/webhooks/${id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('PENDING');
    await until(async () => (await deliveries(id))[0]?.status === 'FAILED' && receiver.received.length === 8);
    expect((await deliveries(id))[0].attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('waits at least as long as Retry-After says on 429', async () => {
    const { id, receiver } = await endpoint((n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }), { retryPolicy: { initialDelay: 10 } });
    await customer('Barbara');
    await until(async () => (await deliveries(id))[0]?.status === 'DELIVERED');
    expect((receiver.received[1]?.at ?? 0) - (receiver.received[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('410 Gone disables the endpoint at once and records webhook_endpoint.disabled', async () => {
    const { id, receiver } = await endpoint(() => ({ status: 410 }));
    await customer('Alan');
    await until(async () => (await deliveries(id))[0]?.status === 'FAILED');
    expect(receiver.received).toHaveLength(1);
    const ep = await fx.hub.request('GET', `/v1/organizations/${org.id}/webhooks/${id}`);
    expect(ep.body).toMatchObject({ status: 'DISABLED', disabledReason: 'The endpoint answered 410 Gone.' });
    const events = await fx.hub.request('GET', `/v1/organizations/${org.id}/events?types=webhook_endpoint.disabled&aggregateId=${id}`);
    expect(events.body.data).toHaveLength(1);
    // Disabled: later events are not sent to it.
    await customer('Later');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('replays past events to one endpoint, after an event id or within a time range, keeping each delivery id', async () => {
    const from = new Date().toISOString();
    const first = await customer('R1');
    await customer('R2');
    const { id, receiver } = await endpoint(() => ({ status: 200 }));
    const log = (await fx.hub.request('GET', `/v1/organizations/${org.id}/events?aggregateId=${first}`)).body.data;
    const afterFirst = await fx.hub.request('POST', `/v1/organizations/${org.id}/webhooks/${id}/replay`, { body: { after: log[0].id } });
    expect(afterFirst.status).toBe(202);
    expect(afterFirst.body.scheduled).toBeGreaterThanOrEqual(1);
    // Let the first replay arrive: a second replay of a delivery still pending reschedules it instead of sending it twice.
    await until(() => receiver.received.length >= 1);
    const range = await fx.hub.request('POST', `/v1/organizations/${org.id}/webhooks/${id}/replay`, { body: { from } });
    expect(range.body.scheduled).toBe(2);
    await until(async () => (await deliveries(id)).filter((d: { status: string }) => d.status === 'DELIVERED').length === 2 && receiver.received.length >= 3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(2);
  });
});
