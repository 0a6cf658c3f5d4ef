import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventsSince, get, issuedInvoice, lastEventId, post, setupBooks, type Books } from '../payments/testing.js';
import { checkAllBooks, purchasingCounts } from '../testing/purchasing-books.js';

describe('import from CSV and export as JSON and CSV', () => {
  let hub: TestHub;
  let books: Books;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Transfer Ltd', 'USD');
  });
  afterEach(() => checkAllBooks(hub, books));
  afterAll(() => hub.close());

  const importCsv = (entity: string, csv: string) => hub.request('POST', books.path(`/import/${entity}`), { token: books.org.apiKey, body: { csv } });

  it('imports the valid customer rows and reports the invalid ones by line, with system.data_imported', async () => {
    const mark = await lastEventId(hub, books);
    const csv = [
      'businessName,email,tier,billingAddress.line1,billingAddress.country',
      'Roe Trading,jane@roe.example,ENTERPRISE,1 Main St,US',
      ',not-an-email,,,',
      '"Comma, Quote ""Co""",,,,',
      'Bad Tier Ltd,,PLATINUM,,',
      '',
      'Half Address,,,2 High St,',
    ].join('\n');
    const res = await importCsv('customers', csv);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ object: 'import_report', entity: 'customers', rows: 5, imported: 2, failed: 3 });
    expect(res.body.created.map((c: { line: number }) => c.line)).toEqual([2, 4]);
    expect(res.body.errors.map((e: { line: number; errors: Array<{ field: string }> }) => [e.line, e.errors.map((x) => x.field)])).toEqual([[3, ['email']], [5, ['tier']], [7, ['billingAddress.country']]]);
    const first = await get(hub, books, `/customers/${res.body.created[0].id}`);
    expect(first).toMatchObject({ businessName: 'Roe Trading', tier: 'ENTERPRISE', billingAddress: { line1: '1 Main St', country: 'US' } });
    expect((await get(hub, books, `/customers/${res.body.created[1].id}`)).businessName).toBe('Comma, Quote "Co"');
    const events = await eventsSince(hub, books, mark);
    expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.created', 'system.data_imported']);
    expect(events[0].metadata.source).toBe('IMPORT');
    expect(events[2].data.object).toMatchObject({ entity: 'customers', imported: 2, failed: 3 });
  });

  it('imports vendors and products with typed cells; a duplicate SKU is reported on its line', async () => {
    const vendors = await importCsv('vendors', 'name,paymentTermsDays,address.line1,address.country\nSteel Inc,45,9 Dock Rd,GB\nNo Terms,soon,,\n');
    expect(vendors.body).toMatchObject({ imported: 1, failed: 1, errors: [{ line: 3, errors: [{ field: 'paymentTermsDays' }] }] });
    expect(await get(hub, books, `/vendors/${vendors.body.created[0].id}`)).toMatchObject({ name: 'Steel Inc', paymentTermsDays: 45, address: { line1: '9 Dock Rd', country: 'GB' } });
    const products = await importCsv('products', 'sku,name,type,unitPrice,unitCost,trackInventory,reorderPoint\r\nBOX-1,Box,INVENTORY,1200,700,true,3\r\nBOX-1,Box again,INVENTORY,1200,,,\r\nSVC-1,Help,SERVICE,12.5,,,\r\n');
    expect(products.body).toMatchObject({ rows: 3, imported: 1, failed: 2 });
    expect(products.body.errors.map((e: { line: number; errors: Array<{ message: string }> }) => [e.line, e.errors[0]?.message])).toEqual([[3, 'already used by another product'], [4, 'must be integer']]);
    expect(await get(hub, books, `/products/${products.body.created[0].id}`)).toMatchObject({ sku: 'BOX-1', unitPrice: 1200, trackInventory: true, reorderPoint: '3' });
  });

  it('refuses a file it cannot read, with unknown columns or a bad body, with 400 and imports nothing', async () => {
    const before = await purchasingCounts(hub);
    const customers = Number((await hub.db.knex('customers').count({ n: '*' }).first())?.n);
    for (const [entity, body] of [
      ['customers', { csv: 'businessName,email\n"unterminated,x\n' }],
      ['customers', { csv: 'businessName,password\nA,secret\n' }],
      ['customers', { csv: 'businessName,email\nA,a@b.example,extra\n' }],
      ['vendors', { csv: '' }],
      ['vendors', { text: 'name\nA\n' }],
    ] as const) {
      const res = await hub.request('POST', books.path(`/import/${entity}`), { token: books.org.apiKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
    }
    const wrongType = await hub.request('POST', books.path('/import/customers'), { token: books.org.apiKey, raw: 'businessName\nA\n', headers: { 'content-type': 'text/csv' } });
    expect(wrongType.status).toBe(415);
    expect(await purchasingCounts(hub)).toBe(before);
    expect(Number((await hub.db.knex('customers').count({ n: '*' }).first())?.n)).toBe(customers);
  });

  it('exports every entity and the journal as JSON, one entity as CSV, with system.data_exported', async () => {
    const vendor = await post(hub, books, '/vendors', { name: 'Export Vendor' });
    const formula = await post(hub, books, '/vendors', { name: '=HYPERLINK("http://evil.example","x")' });
    const bill = await post(hub, books, '/bills', { vendorId: vendor.id, billDate: '2026-05-01', lines: [{ description: 'Toner, "black"', quantity: '1', unitCost: 4500 }] });
    await post(hub, books, `/bills/${bill.id}/pay`, { amount: 1000, date: '2026-05-02' });
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 9900 }]);
    const mark = await lastEventId(hub, books);
    const all = await get(hub, books, '/export');
    expect(all).toMatchObject({ object: 'data_export', organizationId: books.org.id });
    expect(all.data.bills.map((b: { id: string }) => b.id)).toContain(bill.id);
    expect(all.data.invoices.map((i: { id: string }) => i.id)).toContain(invoice.id);
    expect(all.data.billPayments[0]).toMatchObject({ billId: bill.id, amount: 1000 });
    const entries = await hub.db.knex('journal_entries').where('organization_id', books.org.id).count({ n: '*' }).first();
    expect(all.counts.journal).toBe(Number(entries?.n));
    expect(all.counts.customers).toBe(all.data.customers.length);
    expect(Object.keys(all.data).sort()).toEqual(['accounts', 'billPayments', 'bills', 'creditNotes', 'customers', 'expenses', 'inventoryAdjustments', 'invoices', 'journal', 'payments', 'products', 'purchaseOrders', 'quotes', 'stockLevels', 'taxRates', 'vendors']);

    const res = await hub.request('GET', books.path('/export?format=csv&entity=bills'), { token: books.org.apiKey });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
    const rows = parse<Record<string, string>>(res.body as string, { columns: true });
    const row = rows.find((r) => r['id'] === bill.id);
    expect(row).toMatchObject({ vendorId: vendor.id, total: '4500', balance: '3500', status: 'PARTIALLY_PAID' });
    expect(JSON.parse(row?.['lines'] ?? '[]')[0].description).toBe('Toner, "black"');

    const journal = await hub.request('GET', books.path('/export?format=csv&entity=journal'), { token: books.org.apiKey });
    const lines = parse<Record<string, string>>(journal.body as string, { columns: true });
    const payables = lines.filter((l) => l['billId'] === bill.id);
    expect(payables.map((l) => [l['accountCode'], l['direction'], l['amount'], l['vendorId']])).toEqual([['2000', 'CREDIT', '4500', vendor.id], ['2000', 'DEBIT', '1000', vendor.id]]);
    const debit = lines.filter((l) => l['direction'] === 'DEBIT').reduce((s, l) => s + Number(l['baseAmount']), 0);
    const credit = lines.filter((l) => l['direction'] === 'CREDIT').reduce((s, l) => s + Number(l['baseAmount']), 0);
    expect(debit).toBe(credit);

    const vendorsCsv = await hub.request('GET', books.path('/export?format=csv&entity=vendors'), { token: books.org.apiKey });
    const vendorRows = parse<Record<string, string>>(vendorsCsv.body as string, { columns: true });
    expect(vendorRows.find((r) => r['id'] === formula.id)?.['name']).toBe(`'${formula.name}`);
    expect(vendorRows.find((r) => r['id'] === vendor.id)?.['name']).toBe('Export Vendor');

    const noEntity = await hub.request('GET', books.path('/export?format=csv'), { token: books.org.apiKey });
    expect(noEntity.status).toBe(400);
    const exported = (await eventsSince(hub, books, mark)).filter((e) => e.type === 'system.data_exported');
    expect(exported.map((e) => e.data.object.format)).toEqual(['json', 'csv', 'csv', 'csv']);
  });
});
