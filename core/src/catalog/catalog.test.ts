import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { accountIds, eventTypes, writeCounts, storedEvents } from '../sales/testing.js';

describe('catalog: products and tax rates', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let accounts: Record<string, string>;
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Acme Ltd', 'EUR');
    other = await hub.createOrganization('Other Ltd', 'EUR');
    accounts = await accountIds(hub, org.id, org.apiKey);
  });
  afterAll(() => hub.close());

  it('creates tax rates on the sales tax payable account by default, and updates them with events', async () => {
    const created = await hub.request('POST', path('/tax-rates'), { body: { name: 'VAT', basisPoints: 2000, metadata: { region: 'FR' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'tax_rate', name: 'VAT', basisPoints: 2000, accountId: accounts['sales_tax_payable'], active: true, metadata: { region: 'FR' } });
    const id = created.body.id as string;
    expect(id).toMatch(/^txr_/);

    const updated = await hub.request('PATCH', path(`/tax-rates/${id}`), { body: { basisPoints: 2100, active: false } });
    expect(updated.body).toMatchObject({ basisPoints: 2100, active: false });
    expect((await hub.request('GET', path('/tax-rates?active=false'))).body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    expect(await eventTypes(hub, org.id, org.apiKey, id)).toEqual(['tax_rate.created', 'tax_rate.updated']);
    const events = await storedEvents(hub, { aggregateId: id });
    expect(events[1]?.data.previousAttributes).toEqual({ basisPoints: 2000, active: true });
  });

  it('refuses a tax account that is not a liability of this organization, and rates out of range', async () => {
    const revenue = await hub.request('POST', path('/tax-rates'), { body: { name: 'Bad', basisPoints: 100, accountId: accounts['sales_revenue'] } });
    expect(revenue.status).toBe(422);
    expect(revenue.body.errors[0].field).toBe('/accountId');
    const foreign = (await accountIds(hub, other.id, other.apiKey))['sales_tax_payable'];
    const theirs = await hub.request('POST', path('/tax-rates'), { body: { name: 'Bad', basisPoints: 100, accountId: foreign } });
    expect(theirs.status).toBe(422);
    expect(theirs.body.detail).toMatch(/No account/);
    expect((await hub.request('POST', path('/tax-rates'), { body: { name: 'Bad', basisPoints: 100001 } })).status).toBe(400);
    expect((await hub.request('POST', path('/tax-rates'), { body: { name: 'Bad', basisPoints: 8.25 } })).status).toBe(400);
    const liability = await hub.request('POST', path('/tax-rates'), { body: { name: 'Payables as tax', basisPoints: 0, accountId: accounts['payables'] } });
    expect(liability.status).toBe(201);
  });

  it('creates, reads, filters, updates and deactivates products, with an event for each change', async () => {
    const rate = (await hub.request('POST', path('/tax-rates'), { body: { name: 'Reduced', basisPoints: 550 } })).body.id as string;
    const created = await hub.request('POST', path('/products'), { body: { sku: 'BOOK-1', name: 'Accounting 101', type: 'INVENTORY', unitPrice: 2999, unitCost: 1200, taxRateId: rate } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'product', sku: 'BOOK-1', type: 'INVENTORY', unitPrice: 2999, unitCost: 1200, currency: 'EUR', taxRateId: rate, incomeAccountId: null, active: true });
    const id = created.body.id as string;
    const service = await hub.request('POST', path('/products'), { body: { sku: 'SUPPORT', name: 'Support plan', type: 'SERVICE', unitPrice: 5000, currency: 'USD', incomeAccountId: accounts['service_revenue'] } });
    expect(service.body).toMatchObject({ currency: 'USD', incomeAccountId: accounts['service_revenue'], unitCost: null });

    expect((await hub.request('GET', path(`/products/${id}`))).body).toEqual(created.body);
    expect((await hub.request('GET', path('/products?type=SERVICE'))).body.data.map((p: { sku: string }) => p.sku)).toEqual(['SUPPORT']);
    expect((await hub.request('GET', path('/products?sku=book-1'))).body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await hub.request('GET', path('/products?search=counting'))).body.data.map((p: { id: string }) => p.id)).toEqual([id]);

    const updated = await hub.request('PATCH', path(`/products/${id}`), { body: { unitPrice: 3199, taxRateId: null, metadata: { isbn: '978-0' } } });
    expect(updated.body).toMatchObject({ unitPrice: 3199, taxRateId: null, metadata: { isbn: '978-0' } });
    const deactivated = await hub.request('POST', path(`/products/${id}/deactivate`));
    expect(deactivated.body.active).toBe(false);
    expect((await hub.request('GET', path('/products?active=false'))).body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    expect(await eventTypes(hub, org.id, org.apiKey, id)).toEqual(['product.created', 'product.updated', 'product.deactivated']);
    const events = await storedEvents(hub, { aggregateId: id });
    expect(events[0]?.data.object).toEqual(created.body);
    expect(events[1]?.data.previousAttributes).toEqual({ unitPrice: 2999, taxRateId: rate, metadata: {} });
  });

  it('keeps SKUs unique per organization, case-insensitively, and refuses foreign references', async () => {
    await hub.request('POST', path('/products'), { body: { sku: 'DUP-1', name: 'First', type: 'NON_INVENTORY', unitPrice: 100 } });
    const before = await writeCounts(hub);
    const duplicate = await hub.request('POST', path('/products'), { body: { sku: 'dup-1', name: 'Second', type: 'NON_INVENTORY', unitPrice: 100 } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('DUPLICATE_SKU');
    // Another organization may use the same SKU.
    expect((await hub.request('POST', `/v1/organizations/${other.id}/products`, { token: other.apiKey, body: { sku: 'DUP-1', name: 'Theirs', type: 'SERVICE', unitPrice: 1 } })).status).toBe(201);
    const theirRate = (await hub.request('POST', `/v1/organizations/${other.id}/tax-rates`, { token: other.apiKey, body: { name: 'Theirs', basisPoints: 100 } })).body.id as string;
    const afterOther = await writeCounts(hub);

    const foreignRate = await hub.request('POST', path('/products'), { body: { sku: 'X-1', name: 'X', type: 'SERVICE', unitPrice: 1, taxRateId: theirRate } });
    expect(foreignRate.status).toBe(422);
    expect(foreignRate.body.errors[0].field).toBe('/taxRateId');
    const expenseAccount = await hub.request('POST', path('/products'), { body: { sku: 'X-2', name: 'X', type: 'SERVICE', unitPrice: 1, incomeAccountId: accounts['general_expenses'] } });
    expect(expenseAccount.status).toBe(422);
    expect(expenseAccount.body.errors[0].field).toBe('/incomeAccountId');
    const cases: unknown[] = [
      { sku: 'X-3', name: 'X', type: 'SERVICE', unitPrice: -1 },
      { sku: 'X-3', name: 'X', type: 'SERVICE', unitPrice: 1.5 },
      { sku: 'X-3', name: 'X', type: 'GOODS', unitPrice: 1 },
      { sku: 'X-3', name: 'X', type: 'SERVICE', unitPrice: 1, currency: 'XXY' },
      { sku: 'has space', name: 'X', type: 'SERVICE', unitPrice: 1 },
    ];
    for (const body of cases) expect((await hub.request('POST', path('/products'), { body })).status, JSON.stringify(body)).toBe(400);
    expect((await hub.request('GET', path(`/products/${duplicate.body.id ?? 'prod_nothing'}`))).status).toBe(404);
    expect(await writeCounts(hub)).toEqual(afterOther);
    expect(afterOther['products']).toBe((before['products'] ?? 0) + 1);
  });
});
