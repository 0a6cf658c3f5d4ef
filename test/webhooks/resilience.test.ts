import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '@uah/schemas';
import type { ClaimedDelivery } from '@uah/core';
import { dropConnection } from '../../core/src/events/testing.js';
import { createFixture, type Fixture } from './fixture.js';
import { startReceiver, until, type Receiver } from './receiver.js';

const receivers: Receiver[] = [];
const fixtures: Fixture[] = [];
afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  for (const fixture of fixtures) await fixture.close();
});

async function setUp(options: Parameters<typeof createFixture>[0] = {}) {
  const fx = await createFixture(options);
  fixtures.push(fx);
  const org = await fx.hub.createOrganization('Resilience Ltd');
  const api = fx.hub.request.bind(fx.hub);
  return {
    fx, org,
    async endpoint(script: Parameters<typeof startReceiver>[0], extra: Record<string, unknown> = {}, token?: string, orgId = org.id) {
      const receiver = await startReceiver(script);
      receivers.push(receiver);
      const res = await api('POST', `/v1/organizations/${orgId}/webhooks`, { body: { url: receiver.url, events: ['customer.*'], ...extra }, ...(token ? { token } : {}) });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, receiver };
    },
    customer: async (name: string, token?: string, orgId = org.id): Promise<string> => (await api('POST', `/v1/organizations/${orgId}/customers`, { body: { firstName: name }, ...(token ? { token } : {}) })).body.id,
    deliveries: async (endpointId: string) => (await api('GET', `/v1/organizations/${org.id}/webhooks/${endpointId}/deliveries?limit=100`)).body.data,
  };
}

describe('webhook delivery across restarts and failures', () => {
  it('a hub restart in the middle of a retry schedule loses nothing, and events committed while it was down are delivered', async () => {
    const t = await setUp();
    const { id, receiver } = await t.endpoint((n) => (n === 1 ? { status: 503 } : { status: 200 }), { retryPolicy: { initialDelay: 1500 } });
    await t.customer('Before');
    await until(() => t.fx.pipeline.recorded.some((r) => r.result.outcome === 'RETRY'));
    await t.fx.pipeline.stop();
    // While no process delivers: an event is committed (the outbox keeps it), the retry comes due.
    await t.customer('While down');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(receiver.received).toHaveLength(1);
    await t.fx.restart();
    await until(async () => {
      const list = await t.deliveries(id);
      return list.length === 2 && list.every((d: { status: string }) => d.status === 'DELIVERED');
    });
    const list = await t.deliveries(id);
    expect(list.map((d: { attempts: unknown[] }) => d.attempts.length).sort()).toEqual([1, 2]);
    expect(receiver.received).toHaveLength(3);
  });

  it('loses nothing when the broker drops the connection: the worker reconnects and the queue kept what came meanwhile', async () => {
    const t = await setUp();
    const { id, receiver } = await t.endpoint(() => ({ status: 200 }));
    await t.customer('Before the drop');
    await until(() => receiver.received.length === 1);
    await dropConnection(t.fx.queue);
    await t.customer('After the drop');
    await until(async () => (await t.deliveries(id)).filter((d: { status: string }) => d.status === 'DELIVERED').length === 2, 30_000);
    expect(receiver.received).toHaveLength(2);
  }, 40_000);

  it('one hanging endpoint does not delay another', async () => {
    const t = await setUp({ perEndpoint: 2 });
    // It would answer nothing for 20 s: the fast endpoint must not wait for it.
    const hanging = await t.endpoint(() => 'hang', { timeoutMs: 20_000, retryPolicy: { maxRetries: 0 } });
    const fast = await t.endpoint(() => ({ status: 200 }));
    for (let i = 0; i < 10; i++) await t.customer(`C${i}`);
    const deliveredFast = () => t.fx.pipeline.recorded.filter((r) => r.claimed.endpointId === fast.id && r.result.outcome === 'DELIVERED').length;
    await until(() => deliveredFast() === 10, 18_000);
    expect(fast.receiver.received).toHaveLength(10);
    expect(hanging.receiver.received.length).toBeGreaterThan(0);
    expect(hanging.receiver.received.length).toBeLessThanOrEqual(2); // its slots, no more
    expect(t.fx.pipeline.recorded.filter((r) => r.claimed.endpointId === hanging.id)).toHaveLength(0);
    // An attempt ends at the endpoint's timeout.
    const short = await t.endpoint(() => 'hang', { timeoutMs: 1000 });
    const ping = await t.fx.hub.request('POST', `/v1/organizations/${t.org.id}/webhooks/${short.id}/test`);
    expect(ping.body).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 1000 ms' });
    await hanging.receiver.close();
  }, 30_000);

  it('leases ahead only for an endpoint that answers fast, and gives back what it has not sent when it stops', async () => {
    const t = await setUp({ perEndpoint: 2, prefetch: 4 });
    const { knex } = t.fx.hub.db;
    const fast = await t.endpoint(() => ({ status: 200, delayMs: 100 }));
    const hanging = await t.endpoint(() => 'hang', { timeoutMs: 3000, retryPolicy: { maxRetries: 0 } });
    // Until it has answered, an endpoint is not known to be fast.
    await t.customer('Warm-up');
    await until(() => fast.receiver.received.length === 1);
    const leases = async (endpointId: string): Promise<number> =>
      Number((await knex('webhook_deliveries').where({ endpoint_id: endpointId, status: 'PENDING' }).whereNotNull('lease_until').count({ n: '*' }).first())?.n);
    await Promise.all(Array.from({ length: 30 }, (_, i) => t.customer(`Burst ${i}`)));
    const most = { fast: 0, hanging: 0 };
    await until(async () => {
      most.fast = Math.max(most.fast, await leases(fast.id));
      most.hanging = Math.max(most.hanging, await leases(hanging.id));
      return fast.receiver.received.length >= 12;
    }, 20_000);
    expect(most.fast).toBeGreaterThan(2); // leased ahead of its two slots
    // Two slots × prefetch 4, plus attempts answered whose success is still being written (their slot is free
    // already); the whole burst of 30 would show if leasing ahead had no bound.
    expect(most.fast).toBeLessThan(16);
    expect(most.hanging).toBeLessThanOrEqual(2); // its slots, no more
    await t.fx.pipeline.worker.stop();
    expect(fast.receiver.received.length).toBeLessThan(31);
    // What was leased and not sent went back at once, for the next process to send without waiting for the leases to run out.
    expect(await leases(fast.id)).toBe(0);
    await t.fx.restart();
    await until(() => fast.receiver.received.length >= 31, 20_000);
    expect(new Set(fast.receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(31);
  }, 60_000);

  it("keeps an endpoint within its slots across workers: one worker counts the other's leases", async () => {
    const t = await setUp();
    const { id } = await t.endpoint(() => 'hang', { events: ['customer.updated'], timeoutMs: 20_000 });
    // Only the two workers below lease: the hub's own worker, polling for due deliveries with four slots an
    // endpoint, would otherwise claim the waiting delivery whenever its poll fell between the steps.
    await t.fx.pipeline.worker.stop();
    const { deliveries } = t.fx.hub.core.services.webhooks;
    const event = (n: number): Event => ({
      id: `evt_slots${n}`, object: 'event', type: 'customer.updated', aggregateId: `cus_slots${n}`, aggregateType: 'customer', organizationId: t.org.id,
      data: { object: {} }, metadata: {} as Event['metadata'], version: 1, timestamp: new Date().toISOString(),
    });
    // Straight to the store, as two workers (two processes) would.
    const first = await deliveries.ingest([event(1), event(2)], { owner: 'wkr_first', perEndpoint: 2, slots: 8 });
    expect(first.claimed.map((c) => c.endpointId)).toEqual([id, id]);
    // The other worker has nothing in flight itself, yet the endpoint's two slots are taken.
    const second = await deliveries.ingest([event(3)], { owner: 'wkr_second', perEndpoint: 2, slots: 8 });
    expect(second).toMatchObject({ inserted: 1, claimed: [], waiting: [id] });
    expect(await deliveries.claimDue({ owner: 'wkr_second', perEndpoint: 2, limit: 10 })).toEqual([]);
    // The first worker's own count comes from itself: with one of its attempts answered, one slot is free.
    const again = await deliveries.claimDue({ owner: 'wkr_first', inFlight: new Map([[id, 1]]), perEndpoint: 2, limit: 10 });
    expect(again.map((c) => c.eventId)).toEqual(['evt_slots3']);
  });

  it('warns, then disables an endpoint failing every attempt for the alert period, and re-enables it with its missed events', async () => {
    let offset = 0;
    const t = await setUp({ alerts: { disableAfterMs: 60 * 60_000, minFailures: 3 }, clock: () => new Date(Date.now() + offset) });
    let healthy = false;
    const { id, receiver } = await t.endpoint(() => (healthy ? { status: 200 } : { status: 500 }), { retryPolicy: { maxRetries: 20, initialDelay: 10, maxDelay: 20 } });
    const alerts = async () => (await t.fx.hub.request('GET', `/v1/organizations/${t.org.id}/events?types=webhook_endpoint.failing,webhook_endpoint.disabled`)).body.data as Event[];
    await t.customer('Missed 1');
    await until(() => receiver.received.length >= 4);
    expect(await alerts()).toEqual([]);
    offset += 31 * 60_000; // half the period has passed
    await until(async () => (await alerts()).length === 1);
    offset += 30 * 60_000; // the whole period
    await until(async () => (await alerts()).length === 2);
    expect((await alerts()).map((e) => e.type)).toEqual(['webhook_endpoint.failing', 'webhook_endpoint.disabled']);
    const ep = (await t.fx.hub.request('GET', `/v1/organizations/${t.org.id}/webhooks/${id}`)).body;
    expect(ep).toMatchObject({ status: 'DISABLED' });
    expect(ep.consecutiveFailures).toBeGreaterThanOrEqual(5);
    // While disabled, events are missed.
    await t.customer('Missed 2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    healthy = true;
    const enabled = await t.fx.hub.request('POST', `/v1/organizations/${t.org.id}/webhooks/${id}/enable`, { body: { redeliverMissed: true } });
    expect(enabled.body).toMatchObject({ endpoint: { status: 'ACTIVE', consecutiveFailures: 0 }, missed: 2, scheduled: 2 });
    await until(async () => {
      const list = await t.deliveries(id);
      return list.length === 2 && list.every((d: { status: string }) => d.status === 'DELIVERED');
    });
  });

  it('disables an endpoint once, though attempts in flight fail after it was disabled', async () => {
    let offset = 0;
    const t = await setUp({ alerts: { disableAfterMs: 60 * 60_000, minFailures: 1 }, clock: () => new Date(Date.now() + offset) });
    const { id } = await t.endpoint(() => ({ status: 500 }), { events: ['customer.updated'], retryPolicy: { maxRetries: 0 } });
    // The clock jumps past the leases' end: no worker of the pipeline may take them over meanwhile.
    await t.fx.pipeline.worker.stop();
    const { deliveries } = t.fx.hub.core.services.webhooks;
    const event = (n: number): Event => ({
      id: `evt_once${n}`, object: 'event', type: 'customer.updated', aggregateId: `cus_once${n}`, aggregateType: 'customer', organizationId: t.org.id,
      data: { object: {} }, metadata: {} as Event['metadata'], version: 1, timestamp: new Date().toISOString(),
    });
    // Four attempts in flight at once (leased straight through the store; the pipeline sees none of them).
    const { claimed } = await deliveries.ingest([1, 2, 3, 4].map(event), { owner: 'wkr_once', perEndpoint: 8, slots: 8 });
    expect(claimed).toHaveLength(4);
    const fail = { statusCode: 500, durationMs: 5, responseBody: 'no', error: null, retryAfter: null };
    await deliveries.record(claimed[0] as ClaimedDelivery, fail); // the failure streak starts
    offset += 31 * 60_000;
    await deliveries.record(claimed[1] as ClaimedDelivery, fail); // half the period: warned
    offset += 30 * 60_000;
    expect(await deliveries.record(claimed[2] as ClaimedDelivery, fail)).toEqual({ outcome: 'FAILED', endpointDisabled: true });
    // The last attempt in flight ends after the endpoint was disabled: counted, not disabled again.
    expect(await deliveries.record(claimed[3] as ClaimedDelivery, fail)).toEqual({ outcome: 'FAILED', endpointDisabled: false });
    const alerts = (await t.fx.hub.request('GET', `/v1/organizations/${t.org.id}/events?types=webhook_endpoint.failing,webhook_endpoint.disabled`)).body.data as Event[];
    expect(alerts.map((e) => e.type)).toEqual(['webhook_endpoint.failing', 'webhook_endpoint.disabled']);
    expect((await t.fx.hub.request('GET', `/v1/organizations/${t.org.id}/webhooks/${id}`)).body).toMatchObject({ status: 'DISABLED', consecutiveFailures: 4 });
  });

  it('lets organizations take turns: a backlog in one does not hold back another', async () => {
    const t = await setUp();
    const busy = await t.endpoint(() => ({ status: 200 }));
    const otherOrg = await t.fx.hub.createOrganization('Quiet Ltd');
    const quiet = await t.endpoint(() => ({ status: 200 }), {}, otherOrg.apiKey, otherOrg.id);
    await t.fx.pipeline.stop();
    const { deliveries } = t.fx.hub.core.services.webhooks;
    const event = (orgId: string, n: number): Event => ({
      id: `evt_fair${orgId.slice(-6)}${String(n).padStart(5, '0')}`, object: 'event', type: 'customer.updated', aggregateId: `cus_${n}`, aggregateType: 'customer',
      organizationId: orgId, data: { object: {} }, metadata: { source: 'SYSTEM' }, version: 1, timestamp: new Date().toISOString(),
    });
    for (let n = 0; n < 200; n++) await deliveries.enqueue(event(t.org.id, n));
    await deliveries.enqueue(event(otherOrg.id, 0));
    const claimed = await deliveries.claimDue({ limit: 4, perEndpoint: 50 });
    expect(claimed.map((c) => c.organizationId)).toContain(otherOrg.id);
    expect(claimed.filter((c) => c.endpointId === busy.id)).toHaveLength(3);
    // Per-endpoint slots hold across claims while the leases last.
    const more = await deliveries.claimDue({ limit: 100, perEndpoint: 5 });
    expect(more.filter((c) => c.endpointId === busy.id)).toHaveLength(2);
    expect(more.filter((c) => c.endpointId === quiet.id)).toHaveLength(0);
    await t.fx.restart();
  });
});
