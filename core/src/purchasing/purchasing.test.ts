import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventsSince, get, lastEventId, post, postingsOf, setupBooks, type Books } from '../payments/testing.js';
import { checkAllBooks, purchasingCounts } from '../testing/purchasing-books.js';

describe('purchasing: vendors, purchase orders, bills, bill payments, expenses', () => {
  let hub: TestHub;
  let books: Books;
  let vendorId: string;
  let accounts: Record<string, string>;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Buyer Ltd', 'USD');
    const vendor = await post(hub, books, '/vendors', { name: 'Parts Supply Co', email: 'Billing@Parts.example', paymentTermsDays: 15 });
    vendorId = vendor.id;
    const list = await get(hub, books, '/accounts?limit=100');
    accounts = Object.fromEntries((list.data as Array<{ code: string; id: string }>).map((a) => [a.code, a.id]));
  });
  afterEach(() => checkAllBooks(hub, books));
  afterAll(() => hub.close());

  it('creates a vendor with vendor.created', async () => {
    const mark = await lastEventId(hub, books);
    const vendor = await post(hub, books, '/vendors', { name: 'Office Landlord', taxNumber: 'GB123' });
    expect(vendor).toMatchObject({ object: 'vendor', name: 'Office Landlord', currency: 'USD', paymentTermsDays: 30, status: 'ACTIVE', email: null });
    const events = await eventsSince(hub, books, mark);
    expect(events.map((e) => [e.type, e.aggregateId])).toEqual([['vendor.created', vendor.id]]);
    expect(events[0].data.object).toEqual(vendor);
    // Answered from the row as written, not read back: what is stored is what was answered.
    expect(await get(hub, books, `/vendors/${vendor.id}`)).toEqual(vendor);
    expect(await get(hub, books, `/vendors/${vendorId}`)).toMatchObject({ email: 'billing@parts.example', paymentTermsDays: 15 });
  });

  it('records a free-standing bill: Dr expense and tax, Cr payables naming the bill and vendor; due date from the terms', async () => {
    const mark = await lastEventId(hub, books);
    const bill = await post(hub, books, '/bills', {
      vendorId, vendorReference: 'INV-7731', billDate: '2026-01-10',
      lines: [{ description: 'Office rent', quantity: '1', unitCost: 150000, accountId: accounts['6900'] }, { description: 'Paper', quantity: '2.5', unitCost: 333, taxRateId: books.tax }],
    });
    expect(bill).toMatchObject({ object: 'bill', status: 'OPEN', billDate: '2026-01-10', dueDate: '2026-01-25', subtotal: 150833, taxTotal: 83, total: 150916, amountPaid: 0, balance: 150916 });
    expect(bill.lines[1]).toMatchObject({ quantity: '2.5', amount: 833, taxAmount: 83, total: 916, tracksInventory: false });
    expect(await postingsOf(hub, books, bill.journalEntryId)).toEqual([['6900', 'DEBIT', 150833, 'USD'], ['2100', 'DEBIT', 83, 'USD'], ['2000', 'CREDIT', 150916, 'USD']]);
    const entry = await get(hub, books, `/journal-entries/${bill.journalEntryId}`);
    expect(entry.lines[2]).toMatchObject({ billId: bill.id, vendorId, invoiceId: null, customerId: null });
    const events = await eventsSince(hub, books, mark);
    expect(events.map((e) => e.type).filter((t: string) => !t.startsWith('account.'))).toEqual(['journal_entry.created', 'bill.received']);
    expect(events.at(-1).data.object).toEqual(bill);
  });

  it('pays a bill in parts: Dr payables / Cr bank, bill.paid; refuses more than the balance and writes nothing', async () => {
    const bill = await post(hub, books, '/bills', { vendorId, billDate: '2026-02-01', lines: [{ description: 'Repairs', quantity: '1', unitCost: 10000 }] });
    const mark = await lastEventId(hub, books);
    const first = await post(hub, books, `/bills/${bill.id}/pay`, { amount: 4000, date: '2026-02-10', reference: 'TR-1' });
    expect(first).toMatchObject({ object: 'bill_payment', amount: 4000, date: '2026-02-10', paidFromAccountId: accounts['1000'], bill: { status: 'PARTIALLY_PAID', amountPaid: 4000, balance: 6000 } });
    expect(await postingsOf(hub, books, first.journalEntryId)).toEqual([['2000', 'DEBIT', 4000, 'USD'], ['1000', 'CREDIT', 4000, 'USD']]);
    const events = await eventsSince(hub, books, mark);
    expect(events.filter((e) => e.type === 'bill.paid').map((e) => [e.aggregateId, e.data.object.id])).toEqual([[bill.id, first.id]]);

    const before = await purchasingCounts(hub);
    const over = await hub.request('POST', books.path(`/bills/${bill.id}/pay`), { token: books.org.apiKey, body: { amount: 6001 } });
    expect([over.status, over.body.code]).toEqual([422, 'PAYMENT_EXCEEDS_BALANCE']);
    const early = await hub.request('POST', books.path(`/bills/${bill.id}/pay`), { token: books.org.apiKey, body: { amount: 1, date: '2026-01-31' } });
    expect(early.status).toBe(422);
    const revenue = await hub.request('POST', books.path(`/bills/${bill.id}/pay`), { token: books.org.apiKey, body: { paidFromAccountId: accounts['4000'] } });
    expect(revenue.status).toBe(422);
    const dry = await post(hub, books, `/bills/${bill.id}/pay?dryRun=true`, { date: '2026-02-20' });
    expect(dry).toMatchObject({ object: 'dry_run', dryRun: true, document: { object: 'bill_payment', amount: 6000, bill: { status: 'PAID', balance: 0 } } });
    expect(dry.journalEntries[0].lines.map((l: { accountCode: string; direction: string; amount: number }) => [l.accountCode, l.direction, l.amount])).toEqual([['2000', 'DEBIT', 6000], ['1000', 'CREDIT', 6000]]);
    expect(await purchasingCounts(hub)).toBe(before);

    const rest = await post(hub, books, `/bills/${bill.id}/pay`, { date: '2026-02-20' });
    expect(rest.bill).toMatchObject({ status: 'PAID', amountPaid: 10000, balance: 0, paidAt: expect.any(String) });
    const again = await hub.request('POST', books.path(`/bills/${bill.id}/pay`), { token: books.org.apiKey, body: {} });
    expect([again.status, again.body.code]).toEqual([409, 'INVALID_STATE_TRANSITION']);
  });

  it('ages the payables from the postings as of any date, per vendor and bill', async () => {
    const other = await post(hub, books, '/vendors', { name: 'Aging Vendor', paymentTermsDays: 10 });
    const a = await post(hub, books, '/bills', { vendorId: other.id, billDate: '2026-03-01', lines: [{ description: 'A', quantity: '1', unitCost: 5000 }] });
    const b = await post(hub, books, '/bills', { vendorId: other.id, billDate: '2026-04-01', dueDate: '2026-06-30', lines: [{ description: 'B', quantity: '1', unitCost: 700 }] });
    await post(hub, books, `/bills/${a.id}/pay`, { amount: 2000, date: '2026-05-01' });
    const april = await get(hub, books, '/reports/ap-aging?asOf=2026-04-30');
    const mine = april.vendors.find((v: { vendorId: string }) => v.vendorId === other.id);
    expect(mine).toMatchObject({ displayName: 'Aging Vendor', buckets: { days31To60: 5000, current: 700, total: 5700 } });
    expect(mine.bills.map((x: { billId: string; balance: number; daysPastDue: number; bucket: string }) => [x.billId, x.balance, x.daysPastDue, x.bucket])).toEqual([[a.id, 5000, 50, 'days31To60'], [b.id, 700, 0, 'current']]);
    const may = await get(hub, books, '/reports/ap-aging?asOf=2026-05-01');
    expect(may.vendors.find((v: { vendorId: string }) => v.vendorId === other.id).buckets.total).toBe(3700);
    const before = await get(hub, books, '/reports/ap-aging?asOf=2026-02-28');
    expect(before.vendors.find((v: { vendorId: string }) => v.vendorId === other.id)).toBeUndefined();
  });

  it('orders goods, receives them over two bills against the order lines, and closes the order', async () => {
    const order = await post(hub, books, '/purchase-orders', { vendorId, orderDate: '2026-03-01', lines: [{ description: 'Cable', quantity: '10', unitCost: 250 }, { description: 'Plug', quantity: '4', unitCost: 100, taxRateId: books.tax }] });
    expect(order).toMatchObject({ object: 'purchase_order', number: expect.stringMatching(/^PO-\d{5}$/), status: 'DRAFT', subtotal: 2900, taxTotal: 40, total: 2940 });
    const early = await hub.request('POST', books.path('/bills'), { token: books.org.apiKey, body: { vendorId, purchaseOrderId: order.id } });
    expect([early.status, early.body.code]).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect((await post(hub, books, `/purchase-orders/${order.id}/send`, undefined, 200)).status).toBe('SENT');

    const first = await post(hub, books, '/bills', { vendorId, purchaseOrderId: order.id, billDate: '2026-03-05', lines: [{ description: 'Cable', quantity: '6', unitCost: 250, purchaseOrderLine: 1 }] });
    expect(first).toMatchObject({ purchaseOrderId: order.id, total: 1500 });
    expect(await get(hub, books, `/purchase-orders/${order.id}`)).toMatchObject({ status: 'PARTIALLY_RECEIVED', lines: [{ quantityReceived: '6' }, { quantityReceived: '0' }] });

    const before = await purchasingCounts(hub);
    const tooMuch = await hub.request('POST', books.path('/bills'), { token: books.org.apiKey, body: { vendorId, purchaseOrderId: order.id, lines: [{ description: 'Cable', quantity: '5', unitCost: 250, purchaseOrderLine: 1 }] } });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([422, 'BILL_EXCEEDS_ORDER']);
    const tooMuchDry = await hub.request('POST', books.path('/bills?dryRun=true'), { token: books.org.apiKey, body: { vendorId, purchaseOrderId: order.id, lines: [{ description: 'Cable', quantity: '5', unitCost: 250, purchaseOrderLine: 1 }] } });
    expect([tooMuchDry.status, tooMuchDry.body.code]).toEqual([422, 'BILL_EXCEEDS_ORDER']);
    const inventoryAccount = await hub.request('POST', books.path('/bills'), { token: books.org.apiKey, body: { vendorId, lines: [{ description: 'Sneaky', quantity: '1', unitCost: 1, accountId: accounts['1200'] }] } });
    expect(inventoryAccount.status).toBe(422);
    const fromPayables = await hub.request('POST', books.path(`/expenses`), { token: books.org.apiKey, body: { description: 'x', amount: 1, paidFromAccountId: accounts['2000'] } });
    expect(fromPayables.status).toBe(422);
    expect(await purchasingCounts(hub)).toBe(before);

    const rest = await post(hub, books, '/bills', { vendorId, purchaseOrderId: order.id, billDate: '2026-03-09' });
    expect(rest.lines.map((l: { quantity: string; purchaseOrderLine: number }) => [l.quantity, l.purchaseOrderLine])).toEqual([['4', 1], ['4', 2]]);
    expect(rest).toMatchObject({ subtotal: 1400, taxTotal: 40, total: 1440 });
    expect(await get(hub, books, `/purchase-orders/${order.id}`)).toMatchObject({ status: 'RECEIVED' });
    const nothing = await hub.request('POST', books.path('/bills'), { token: books.org.apiKey, body: { vendorId, purchaseOrderId: order.id } });
    expect(nothing.status).toBe(422);
    expect((await post(hub, books, `/purchase-orders/${order.id}/close`, undefined, 200)).status).toBe('CLOSED');
  });

  it('records a direct expense paid from the bank, with tax and expense.recorded; dry run writes nothing', async () => {
    const before = await purchasingCounts(hub);
    const dry = await post(hub, books, '/expenses?dryRun=true', { description: 'Taxi', amount: 2500, taxRateId: books.tax, date: '2026-03-03' });
    expect(dry).toMatchObject({ object: 'dry_run', document: { object: 'expense', amount: 2500, taxAmount: 250, total: 2750 } });
    expect(dry.events.map((e: { type: string }) => e.type)).toEqual(['expense.recorded']);
    expect(await purchasingCounts(hub)).toBe(before);
    const mark = await lastEventId(hub, books);
    const expense = await post(hub, books, '/expenses', { description: 'Taxi', amount: 2500, taxRateId: books.tax, date: '2026-03-03', vendorId });
    expect(expense).toMatchObject({ object: 'expense', vendorId, accountId: accounts['6900'], paidFromAccountId: accounts['1000'], total: 2750 });
    expect(await postingsOf(hub, books, expense.journalEntryId)).toEqual([['6900', 'DEBIT', 2500, 'USD'], ['2100', 'DEBIT', 250, 'USD'], ['1000', 'CREDIT', 2750, 'USD']]);
    expect((await eventsSince(hub, books, mark)).filter((e) => e.type === 'expense.recorded').map((e) => e.data.object)).toEqual([expense]);
  });

  it('refuses bad input with 4xx and writes nothing; another organization\'s vendor is unknown', async () => {
    const stranger = await setupBooks(hub, 'Stranger Ltd', 'USD');
    const theirs = await post(hub, stranger, '/vendors', { name: 'Their vendor' });
    const before = await purchasingCounts(hub);
    const cases: Array<[string, unknown, number]> = [
      ['/bills', { vendorId: theirs.id, lines: [{ description: 'x', quantity: '1', unitCost: 1 }] }, 422],
      ['/bills', { vendorId, lines: [{ quantity: '1', unitCost: 1 }] }, 422],
      ['/bills', { vendorId }, 422],
      ['/bills', { vendorId, lines: [{ description: 'x', quantity: '1.5', unitCost: 1.5 }] }, 400],
      ['/bills', { vendorId, billDate: '2026-03-01', dueDate: '2026-02-01', lines: [{ description: 'x', quantity: '1', unitCost: 1 }] }, 422],
      ['/bills', { vendorId, lines: [{ description: 'x', quantity: '1', unitCost: 1, accountId: accounts['4000'] }] }, 422],
      ['/bills', { vendorId, lines: [{ description: 'x', quantity: '1', unitCost: 1, purchaseOrderLine: 1 }] }, 422],
      ['/expenses', { description: 'x', amount: 0 }, 400],
      ['/expenses', { description: 'x', amount: 5, accountId: accounts['1000'] }, 422],
      ['/purchase-orders', { vendorId, lines: [] }, 400],
      ['/vendors', { name: '' }, 400],
    ];
    for (const [path, body, status] of cases) {
      const res = await hub.request('POST', books.path(path), { token: books.org.apiKey, body });
      expect(res.status, `${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(status);
    }
    const foreign = await hub.request('GET', books.path(`/vendors/${theirs.id}`), { token: books.org.apiKey });
    expect(foreign.status).toBe(404);
    expect(await purchasingCounts(hub)).toBe(before);
    await checkAllBooks(hub, stranger);
  });
});
