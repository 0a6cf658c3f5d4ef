import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@uah/schemas';
import { createClient, UahApiError, type UahClient } from '../client/src/index.js';
import { createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../core/src/testing/harness.js';

/** The typed client against the real core, served over HTTP on a test database. */
describe('@uah/client against the core', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Client Test Ltd', 'GBP');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('reads its organization and creates, reads, lists, updates and deactivates a customer', async () => {
    expect(await uah.organizations.get()).toMatchObject({ id: org.id, object: 'organization', name: 'Client Test Ltd', baseCurrency: 'GBP' });

    const created = await uah.customers.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ADA@example.com', metadata: { crm: 'C-1' } });
    expect(created).toMatchObject({ object: 'customer', displayName: 'Ada Lovelace', email: 'ada@example.com', currency: 'GBP', status: 'ACTIVE', metadata: { crm: 'C-1' } });
    expect(await uah.customers.get(created.id)).toEqual(created);

    const updated = await uah.customers.update(created.id, { businessName: 'Analytical Engines', phone: null });
    expect(updated).toMatchObject({ id: created.id, displayName: 'Analytical Engines', phone: null });

    const deactivated = await uah.customers.deactivate(created.id);
    expect(deactivated.status).toBe('INACTIVE');
    const inactive = await uah.customers.list({ status: 'INACTIVE' });
    expect(inactive).toEqual({ data: [deactivated], nextCursor: null });
  });

  it('sends an Idempotency-Key with every POST, so a repeated key returns the first customer', async () => {
    const first = await uah.customers.create({ businessName: 'Once Only Ltd' }, { idempotencyKey: 'client-test-once' });
    const again = await uah.customers.create({ businessName: 'Once Only Ltd' }, { idempotencyKey: 'client-test-once' });
    expect(again.id).toBe(first.id);
    const rows = await hub.db.knex('customers').where({ organization_id: org.id, business_name: 'Once Only Ltd' }).count<Array<{ count: string | number }>>({ count: '*' });
    expect(Number(rows[0]?.count)).toBe(1);

    const reused = await uah.customers.create({ businessName: 'Someone Else' }, { idempotencyKey: 'client-test-once' }).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(UahApiError);
    expect(reused).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });

    // Without a key of ours, each call gets its own generated key: two calls, two customers.
    const a = await uah.customers.create({ businessName: 'Twice Ltd' });
    const b = await uah.customers.create({ businessName: 'Twice Ltd' });
    expect(a.id).not.toBe(b.id);
  });

  it('throws UahApiError with the problem+json fields', async () => {
    const invalid = await uah.customers.create({ firstName: 'A', email: 'not-an-email' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(UahApiError);
    const error = invalid as UahApiError;
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: 'https://docs.uah.dev/errors/VALIDATION_FAILED', title: 'Validation failed' });
    expect(error.errors).toEqual([expect.objectContaining({ field: '/email', in: 'body' })]);
    expect(error.requestId).toMatch(/./);
    expect(error.message).toMatch(/^400 VALIDATION_FAILED: /);

    const missing = (await uah.customers.get('cus_0000000000000000000000000').catch((e: unknown) => e)) as UahApiError;
    expect([missing.status, missing.code, missing.instance]).toEqual([404, 'NOT_FOUND', `/v1/organizations/${org.id}/customers/cus_0000000000000000000000000`]);

    const stranger = createClient({ baseUrl: hub.baseUrl, apiKey: 'uah_sk_not_a_real_key', organizationId: org.id });
    const unauthenticated = (await stranger.organizations.get().catch((e: unknown) => e)) as UahApiError;
    expect([unauthenticated.status, unauthenticated.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('creates, lists and revokes API keys; a revoked key stops working', async () => {
    const key = await uah.apiKeys.create({ name: 'Reporting', scopes: ['read'] });
    expect(key).toMatchObject({ object: 'api_key', name: 'Reporting', scopes: ['read'], revokedAt: null });
    expect(key.apiKey).toMatch(/^uah_sk_/);

    const listed = await uah.apiKeys.list({ limit: 100 });
    expect(listed.data.map((k) => k.id)).toContain(key.id);
    expect(listed.data.find((k) => k.id === key.id)).not.toHaveProperty('secret');

    const reader = createClient({ baseUrl: hub.baseUrl, apiKey: key.apiKey, organizationId: org.id });
    expect((await reader.organizations.get()).id).toBe(org.id);
    const forbidden = (await reader.customers.create({ businessName: 'Nope' }).catch((e: unknown) => e)) as UahApiError;
    expect([forbidden.status, forbidden.code]).toEqual([403, 'FORBIDDEN']);

    const revoked = await uah.apiKeys.revoke(key.id);
    expect(revoked.revokedAt).not.toBeNull();
    const refused = (await reader.organizations.get().catch((e: unknown) => e)) as UahApiError;
    expect(refused.code).toBe('UNAUTHENTICATED');
  });

  it('creates an organization with the admin token and switches organization with forOrganization', async () => {
    const admin = createClient({ baseUrl: hub.baseUrl, apiKey: TEST_ADMIN_TOKEN });
    const other = await admin.organizations.create({ name: 'Second Books', baseCurrency: 'EUR' });
    expect(other).toMatchObject({ object: 'organization', name: 'Second Books', baseCurrency: 'EUR' });
    expect(other.apiKey).toMatch(/^uah_sk_/);
    expect((await admin.forOrganization(other.id).organizations.get()).name).toBe('Second Books');
    expect(() => admin.customers.list()).toThrow(/needs the organizationId option/);
  });
});

describe('@uah/client events', () => {
  let hub: TestHub;
  let uah: UahClient;
  let key: string;
  const ids: string[] = [];

  beforeAll(async () => {
    hub = await createTestHub();
    const org = await hub.createOrganization('Event Reader Ltd', 'USD');
    key = org.apiKey;
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
    for (let i = 0; i < 5; i++) ids.push((await uah.customers.create({ businessName: `Customer ${i}` })).id);
    await uah.customers.update(ids[0] ?? '', { phone: '+44 20 7946 0000' });
    await uah.customers.deactivate(ids[1] ?? '');
  });
  afterAll(() => hub.close());

  it('lists a page of events with a filter', async () => {
    const page = await uah.events.list({ types: ['customer.updated', 'customer.deactivated'] });
    expect(page.data.map((e) => [e.type, e.aggregateId])).toEqual([
      ['customer.updated', ids[0]],
      ['customer.deactivated', ids[1]],
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('iterates over every event across pages, oldest first', async () => {
    const seen: Event[] = [];
    const pages: number[] = [];
    for await (const page of uah.events.iterate({ limit: 2 }).pages()) pages.push(page.data.length);
    for await (const event of uah.events.iterate({ limit: 2, types: ['customer.created'] })) seen.push(event);
    expect(pages).toEqual([2, 2, 2, 1]);
    expect(seen.map((e) => e.aggregateId)).toEqual(ids);
    expect(seen.map((e) => e.version)).toEqual([1, 1, 1, 1, 1]);
  });

  it('resumes after a known event with `after`', async () => {
    const all: Event[] = [];
    for await (const event of uah.events.iterate({ limit: 3 })) all.push(event);
    const third = all[2];
    const rest: string[] = [];
    for await (const event of uah.events.iterate({ after: third?.id ?? '', limit: 2 })) rest.push(event.id);
    expect(rest).toEqual(all.slice(3).map((e) => e.id));
    expect(rest).toHaveLength(4);
  });

  it('iterates customers lazily: stopping after three of five fetches two pages of two', async () => {
    const requested: string[] = [];
    const counting = createClient({
      baseUrl: hub.baseUrl,
      apiKey: key,
      organizationId: uah.organizationId ?? '',
      fetch: (input, init) => {
        requested.push(new URL(input instanceof Request ? input.url : input).search);
        return fetch(input, init);
      },
    });
    const names: string[] = [];
    for await (const customer of counting.customers.iterate({ limit: 2 })) {
      names.push(customer.displayName);
      if (names.length === 3) break;
    }
    expect(names).toEqual(['Customer 0', 'Customer 1', 'Customer 2']);
    expect(requested).toHaveLength(2);
    expect(requested[0]).toBe('?limit=2');
    expect(requested[1]).toMatch(/^\?limit=2&cursor=/);
  });
});
