import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

describe('customers', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const path = () => `/v1/organizations/${org.id}/customers`;

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Acme Ltd', 'EUR');
  });
  afterAll(() => hub.close());

  it('creates, reads, lists, updates and deactivates a customer, with an event for each change', async () => {
    const created = await hub.request('POST', path(), { body: { firstName: 'John', lastName: 'Doe', email: 'John@Example.com', tier: 'SMALL_BUSINESS', billingAddress: { line1: '1 Rue de Rivoli', city: 'Paris', country: 'FR' }, metadata: { crm: 'A-1' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'customer', firstName: 'John', displayName: 'John Doe', email: 'john@example.com', currency: 'EUR', status: 'ACTIVE', metadata: { crm: 'A-1' } });
    const id = created.body.id as string;
    expect(id).toMatch(/^cus_/);

    expect((await hub.request('GET', `${path()}/${id}`)).body).toEqual(created.body);

    const updated = await hub.request('PATCH', `${path()}/${id}`, { body: { businessName: 'Doe Consulting', phone: '+1 415 555 0100', metadata: { crm: '', region: 'west' } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ businessName: 'Doe Consulting', displayName: 'Doe Consulting', metadata: { region: 'west' } });

    const deactivated = await hub.request('POST', `${path()}/${id}/deactivate`);
    expect(deactivated.body.status).toBe('INACTIVE');

    const list = await hub.request('GET', `${path()}?status=INACTIVE`);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([id]);

    const events = await hub.request('GET', `/v1/organizations/${org.id}/events?aggregateId=${id}`);
    expect(events.body.data.map((e: { type: string; version: number }) => [e.type, e.version])).toEqual([
      ['customer.created', 1],
      ['customer.updated', 2],
      ['customer.deactivated', 3],
    ]);
    const [createdEvent, updatedEvent] = events.body.data;
    expect(createdEvent.data.object).toEqual(created.body);
    expect(createdEvent.metadata).toMatchObject({ source: 'API', userId: expect.stringMatching(/^key_/), correlationId: created.headers.get('x-request-id') });
    expect(updatedEvent.data.previousAttributes).toMatchObject({ businessName: null, phone: null, metadata: { crm: 'A-1' } });
  });

  it('pages through a list with cursors', async () => {
    for (let i = 0; i < 5; i++) await hub.request('POST', path(), { body: { businessName: `Pager ${i}` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ businessName: string }>; nextCursor: string | null } } = await hub.request('GET', `${path()}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((c) => c.businessName).filter((n) => n?.startsWith('Pager')));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Pager 0', 'Pager 1', 'Pager 2', 'Pager 3', 'Pager 4']);
    // Newest first, the cursor going on in that order.
    const newest: string[] = [];
    cursor = null;
    do {
      const page: { body: { data: Array<{ businessName: string }>; nextCursor: string | null } } = await hub.request('GET', `${path()}?limit=2&order=desc${cursor ? `&cursor=${cursor}` : ''}`);
      newest.push(...page.body.data.map((c) => c.businessName).filter((n) => n?.startsWith('Pager')));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(newest).toEqual(['Pager 4', 'Pager 3', 'Pager 2', 'Pager 1', 'Pager 0']);
    expect((await hub.request('GET', `${path()}?order=newest`)).status).toBe(400);
  });

  it('refuses bad input with problem+json naming the fields, and writes nothing', async () => {
    const before = await hub.db.knex('customers').count({ n: '*' }).first();
    const cases: Array<[unknown, string[]]> = [
      [{ firstName: 'A', nickname: 'x' }, ['/nickname']],
      [{ email: 'not-an-email' }, ['/email']],
      [{ firstName: 'A', currency: 'XYZ' }, ['/currency']],
      [{ firstName: 'A', tier: 'HUGE' }, ['/tier']],
      [{}, ['']],
      [{ firstName: 'A', billingAddress: { city: 'Paris' } }, ['/billingAddress/line1', '/billingAddress/country']],
    ];
    for (const [body, fields] of cases) {
      const res = await hub.request('POST', path(), { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(fields));
    }
    const unknownField = await hub.request('POST', path(), { body: { firstName: 'A', nickname: 'x' } });
    expect(unknownField.body.detail).toContain('nickname');
    const after = await hub.db.knex('customers').count({ n: '*' }).first();
    expect(after).toEqual(before);
  });

  it('refuses unknown query parameters and bad limits or cursors', async () => {
    expect((await hub.request('GET', `${path()}?limit=0`)).status).toBe(400);
    expect((await hub.request('GET', `${path()}?limit=abc`)).status).toBe(400);
    expect((await hub.request('GET', `${path()}?limit=101`)).status).toBe(400);
    const badCursor = await hub.request('GET', `${path()}?cursor=zzz`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe('INVALID_CURSOR');
    const unknown = await hub.request('GET', `${path()}?colour=red`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('/colour');
  });
});
