import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { accountIds, eventTypes, postings, setupSales, sortPostings, writeCounts, type SalesFixture, storedEvents } from './testing.js';

describe('invoices', () => {
  let hub: TestHub;
  let f: SalesFixture;
  let acc: Record<string, string>;
  let countyTax: string;
  let countyAccount: string;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
    acc = await accountIds(hub, f.org.id, f.org.apiKey);
    countyAccount = (await hub.request('POST', f.path('/accounts'), { body: { code: '2110', name: 'County tax payable', type: 'LIABILITY' } })).body.id as string;
    countyTax = (await hub.request('POST', f.path('/tax-rates'), { body: { name: 'County tax', basisPoints: 500, accountId: countyAccount } })).body.id as string;
  });
  afterAll(() => hub.close());

  const threeLines = () => [
    { productId: f.consulting, quantity: '7.5', discount: { type: 'PERCENT', basisPoints: 1000 }, taxRateId: f.stateTax },
    { productId: f.widget, quantity: '3', discount: { type: 'AMOUNT', amount: 100 } },
    { description: 'Shipping', quantity: '0.3333', unitPrice: 999, taxRateId: countyTax },
  ];

  it('computes each line and the totals by the documented rounding rule, as a draft that posts nothing', async () => {
    const before = await writeCounts(hub);
    const res = await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-01-10', lines: threeLines(), notes: 'Thank you' } });
    expect(res.status).toBe(201);
    const invoice = res.body;
    expect(invoice).toMatchObject({ object: 'invoice', status: 'DRAFT', number: null, currency: 'USD', exchangeRate: null, issueDate: '2026-01-10', dueDate: '2026-02-09', journalEntryId: null, notes: 'Thank you' });
    expect(invoice.lines.map((l: Record<string, unknown>) => [l['description'], l['quantity'], l['unitPrice'], l['amount'], l['discountAmount'], l['netAmount'], l['taxRateBasisPoints'], l['taxAmount'], l['total'], l['accountId']])).toEqual([
      ['Consulting hour', '7.5', 12000, 90000, 9000, 81000, 825, 6683, 87683, acc['service_revenue']], // tax 6682.5 → 6683
      ['Widget', '3', 2500, 7500, 100, 7400, 825, 611, 8011, acc['sales_revenue']], // tax 610.5 → 611 (the product's default rate)
      ['Shipping', '0.3333', 999, 333, 0, 333, 500, 17, 350, acc['service_revenue']], // 332.9667 → 333; tax 16.65 → 17
    ]);
    expect(invoice).toMatchObject({ subtotal: 97833, discountTotal: 9100, taxTotal: 7311, total: 96044, amountPaid: 0, amountCredited: 0, balance: 96044 });
    expect(invoice.taxes).toEqual([
      { taxRateId: f.stateTax, name: 'State tax', basisPoints: 825, taxableAmount: 88400, amount: 7294 },
      { taxRateId: countyTax, name: 'County tax', basisPoints: 500, taxableAmount: 333, amount: 17 },
    ]);
    const after = await writeCounts(hub);
    expect(after['journal_entries']).toBe(before['journal_entries']);
    expect(after['invoices']).toBe((before['invoices'] ?? 0) + 1);
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, invoice.id)).toEqual(['invoice.created']);
  });

  it('issues a draft: numbers it and posts Dr receivables / Cr revenue per account / Cr tax per tax account', async () => {
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-01-12', dueDate: '2026-01-31', lines: threeLines() } })).body;
    const issued = await hub.request('POST', f.path(`/invoices/${draft.id}/issue`));
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ status: 'SENT', number: expect.stringMatching(/^INV-\d{5}$/), issueDate: '2026-01-12', dueDate: '2026-01-31', balance: 96044, issuedAt: expect.any(String) });
    const entry = await hub.request('GET', f.path(`/journal-entries/${issued.body.journalEntryId}`));
    expect(entry.body).toMatchObject({ date: '2026-01-12', currency: 'USD', source: { type: 'invoice', id: draft.id }, memo: `Invoice ${issued.body.number}` });
    expect(await postings(hub, f.org.id, f.org.apiKey, issued.body.journalEntryId)).toEqual(sortPostings([
      [acc['receivables'] ?? '', 'DEBIT', 96044],
      [acc['service_revenue'] ?? '', 'CREDIT', 81000 + 333],
      [acc['sales_revenue'] ?? '', 'CREDIT', 7400],
      [acc['sales_tax_payable'] ?? '', 'CREDIT', 7294],
      [countyAccount, 'CREDIT', 17],
    ]));
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, draft.id)).toEqual(['invoice.created', 'invoice.issued']);
    const events = await storedEvents(hub, { aggregateId: draft.id });
    expect(events[1]?.data.object).toEqual(issued.body);
    expect(events[1]?.data.previousAttributes).toMatchObject({ status: 'DRAFT', number: null, journalEntryId: null });

    // Issued invoices are immutable: no PATCH, no second issue; the database refuses a changed line too.
    const patch = await hub.request('PATCH', f.path(`/invoices/${draft.id}`), { body: { notes: 'late edit' } });
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe('INVALID_STATE_TRANSITION');
    expect((await hub.request('POST', f.path(`/invoices/${draft.id}/issue`))).body.code).toBe('INVALID_STATE_TRANSITION');
    await expect(hub.db.knex('invoices').where({ id: draft.id }).update({ total: 1, subtotal: 1, discount_total: 0, tax_total: 0, balance: 1 })).rejects.toThrow(/is issued/);
  });

  it('a JPY organization computes in whole yen', async () => {
    const jp = await setupSales(hub, 'Tokyo KK', 'JPY');
    const jpAcc = await accountIds(hub, jp.org.id, jp.org.apiKey);
    const rate = (await hub.request('POST', jp.path('/tax-rates'), { token: jp.org.apiKey, body: { name: '消費税', basisPoints: 1000 } })).body.id;
    const draft = await hub.request('POST', jp.path('/invoices'), { token: jp.org.apiKey, body: { customerId: jp.customerId, lines: [{ description: 'Tea', quantity: '3', unitPrice: 1234, taxRateId: rate }, { description: 'Half box', quantity: '0.5', unitPrice: 15, taxRateId: rate }] } });
    expect(draft.body).toMatchObject({ currency: 'JPY', subtotal: 3702 + 8, taxTotal: 370 + 1, total: 4081 });
    const issued = await hub.request('POST', jp.path(`/invoices/${draft.body.id}/issue`), { token: jp.org.apiKey });
    expect(await postings(hub, jp.org.id, jp.org.apiKey, issued.body.journalEntryId)).toEqual(sortPostings([
      [jpAcc['receivables'] ?? '', 'DEBIT', 4081],
      [jpAcc['service_revenue'] ?? '', 'CREDIT', 3710],
      [jpAcc['sales_tax_payable'] ?? '', 'CREDIT', 371],
    ]));
  });

  it('a foreign-currency invoice needs an exchange rate to be issued, and posts with it', async () => {
    const euroCustomer = (await hub.request('POST', f.path('/customers'), { body: { businessName: 'Euro GmbH', currency: 'EUR' } })).body.id;
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: euroCustomer, lines: [{ description: 'Audit', quantity: '1', unitPrice: 100000 }] } })).body;
    expect(draft.currency).toBe('EUR');
    const before = await writeCounts(hub);
    const refused = await hub.request('POST', f.path(`/invoices/${draft.id}/issue`));
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('/exchangeRate');
    expect(await writeCounts(hub)).toEqual(before);
    const issued = await hub.request('POST', f.path(`/invoices/${draft.id}/issue`), { body: { exchangeRate: '1.0825' } });
    expect(issued.body).toMatchObject({ status: 'SENT', exchangeRate: '1.0825' });
    const entry = (await hub.request('GET', f.path(`/journal-entries/${issued.body.journalEntryId}`))).body;
    expect(entry).toMatchObject({ currency: 'EUR', exchangeRate: '1.0825', baseCurrency: 'USD' });
    expect(entry.lines.map((l: { direction: string; amount: number; baseAmount: number }) => [l.direction, l.amount, l.baseAmount])).toEqual([['DEBIT', 100000, 108250], ['CREDIT', 100000, 108250]]);
    const baseRate = await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, exchangeRate: '1.1', lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] } });
    expect(baseRate.status).toBe(422);
  });

  it('refuses bad lines and foreign references with a 4xx and writes nothing', async () => {
    const other = await setupSales(hub, 'Other Org');
    const deactivated = (await hub.request('POST', f.path('/products'), { body: { sku: 'OLD', name: 'Old', type: 'SERVICE', unitPrice: 1 } })).body.id;
    await hub.request('POST', f.path(`/products/${deactivated}/deactivate`));
    const before = await writeCounts(hub);
    const line = { description: 'x', quantity: '1', unitPrice: 100 };
    const cases: Array<[unknown, number, string]> = [
      [{ customerId: f.customerId, lines: [{ ...line, quantity: '-1' }] }, 400, '/lines/0/quantity'],
      [{ customerId: f.customerId, lines: [{ ...line, quantity: '0' }] }, 400, '/lines/0/quantity'],
      [{ customerId: f.customerId, lines: [{ ...line, quantity: 1.5 }] }, 400, '/lines/0/quantity'],
      [{ customerId: f.customerId, lines: [{ ...line, quantity: '1.00001' }] }, 400, '/lines/0/quantity'],
      [{ customerId: f.customerId, lines: [{ ...line, unitPrice: -5 }] }, 400, '/lines/0/unitPrice'],
      [{ customerId: f.customerId, lines: [{ ...line, unitPrice: 10.5 }] }, 400, '/lines/0/unitPrice'],
      [{ customerId: f.customerId, currency: 'ABC', lines: [line] }, 400, '/currency'],
      [{ customerId: f.customerId, lines: [] }, 400, '/lines'],
      [{ customerId: f.customerId, lines: [{ quantity: '1', unitPrice: 5 }] }, 400, '/lines/0/description'],
      [{ customerId: other.customerId, lines: [line] }, 422, '/customerId'],
      [{ customerId: f.customerId, lines: [line, { productId: other.widget, quantity: '1' }] }, 422, '/lines/1/productId'],
      [{ customerId: f.customerId, lines: [{ ...line, taxRateId: other.stateTax }] }, 422, '/lines/0/taxRateId'],
      [{ customerId: f.customerId, lines: [{ productId: deactivated, quantity: '1' }] }, 422, '/lines/0/productId'],
      [{ customerId: f.customerId, lines: [{ ...line, discount: { type: 'AMOUNT', amount: 101 } }] }, 422, '/lines/0/discount'],
      [{ customerId: f.customerId, lines: [{ ...line, accountId: acc['general_expenses'] }] }, 422, '/lines/0/accountId'],
      [{ customerId: f.customerId, issueDate: '2026-02-01', dueDate: '2026-01-01', lines: [line] }, 422, '/dueDate'],
    ];
    for (const [body, status, field] of cases) {
      const res = await hub.request('POST', f.path('/invoices'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors.map((e: { field: string }) => e.field), JSON.stringify(body)).toContain(field);
    }
    expect(await writeCounts(hub)).toEqual(before);
  });

  it('dry runs of create and issue return what would be written and write nothing', async () => {
    const before = await writeCounts(hub);
    const settings = (await hub.request('GET', f.path('/invoice-settings'))).body;
    const created = await hub.request('POST', f.path('/invoices?dryRun=true'), { body: { customerId: f.customerId, lines: threeLines() } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'invoice_dry_run', dryRun: true, journalEntry: null, invoice: { status: 'DRAFT', total: 96044 } });
    expect(created.body.events.map((e: { type: string }) => e.type)).toEqual(['invoice.created']);
    expect(await writeCounts(hub)).toEqual(before);

    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-01-20', lines: threeLines() } })).body;
    const withDraft = await writeCounts(hub);
    const preview = await hub.request('POST', f.path(`/invoices/${draft.id}/issue?dryRun=true`));
    expect(preview.status).toBe(200);
    const expectedNumber = `INV-${String(settings.nextNumber).padStart(5, '0')}`;
    expect(preview.body.invoice).toMatchObject({ id: draft.id, status: 'SENT', number: expectedNumber });
    expect(preview.body.events.map((e: { type: string }) => e.type)).toEqual(['invoice.issued']);
    expect(preview.body.journalEntry).toMatchObject({ object: 'journal_entry_preview', date: '2026-01-20', source: { type: 'invoice', id: draft.id } });
    expect(sortPostings(preview.body.journalEntry.lines.map((l: { accountId: string; direction: string; amount: number }) => [l.accountId, l.direction, l.amount]))).toEqual(sortPostings([
      [acc['receivables'] ?? '', 'DEBIT', 96044], [acc['service_revenue'] ?? '', 'CREDIT', 81333], [acc['sales_revenue'] ?? '', 'CREDIT', 7400], [acc['sales_tax_payable'] ?? '', 'CREDIT', 7294], [countyAccount, 'CREDIT', 17],
    ]));
    expect(await writeCounts(hub)).toEqual(withDraft);
    expect((await hub.request('GET', f.path(`/invoices/${draft.id}`))).body.status).toBe('DRAFT');
    // The number previewed is the one a real issue takes: the dry run reserved nothing.
    expect((await hub.request('POST', f.path(`/invoices/${draft.id}/issue`))).body.number).toBe(expectedNumber);
  });

  it('voids: reverses the posting, zeroes the balance, and refuses a second void', async () => {
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, lines: [{ productId: f.widget, quantity: '2' }] } })).body;
    const issued = (await hub.request('POST', f.path(`/invoices/${draft.id}/issue`))).body;
    const voided = await hub.request('POST', f.path(`/invoices/${draft.id}/void`), { body: { reason: 'Wrong customer' } });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ status: 'CANCELLED', balance: 0, total: 5413, voidedAt: expect.any(String), number: issued.number });
    const entries = (await hub.request('GET', f.path(`/journal-entries?sourceType=invoice&sourceId=${draft.id}`))).body.data;
    expect(entries).toHaveLength(2);
    const [original, reversal] = entries;
    expect(original.reversedBy).toBe(reversal.id);
    expect(reversal).toMatchObject({ reversalOf: original.id, date: original.date, memo: `Void of invoice ${issued.number}: Wrong customer` });
    expect(await postings(hub, f.org.id, f.org.apiKey, reversal.id)).toEqual(sortPostings([
      [acc['receivables'] ?? '', 'CREDIT', 5413], [acc['sales_revenue'] ?? '', 'DEBIT', 5000], [acc['sales_tax_payable'] ?? '', 'DEBIT', 413],
    ]));
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, draft.id)).toEqual(['invoice.created', 'invoice.issued', 'invoice.cancelled']);
    expect((await hub.request('POST', f.path(`/invoices/${draft.id}/void`))).body.code).toBe('INVALID_STATE_TRANSITION');

    const other = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, lines: [{ productId: f.widget, quantity: '1' }] } })).body;
    const voidedDraft = await hub.request('POST', f.path(`/invoices/${other.id}/void`));
    expect(voidedDraft.body).toMatchObject({ status: 'CANCELLED', number: null, journalEntryId: null });
  });

  it('marks views once, and the overdue job marks open invoices past due with invoice.overdue', async () => {
    const make = async (dueDate: string) => {
      const d = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-03-01', dueDate, lines: [{ description: 'Work', quantity: '1', unitPrice: 1000 }] } })).body;
      return (await hub.request('POST', f.path(`/invoices/${d.id}/issue`))).body as { id: string };
    };
    const late = await make('2026-03-10');
    const onTime = await make('2026-03-31');
    const viewed = await hub.request('POST', f.path(`/invoices/${late.id}/view`));
    expect(viewed.body).toMatchObject({ status: 'VIEWED', viewedAt: expect.any(String) });
    expect((await hub.request('POST', f.path(`/invoices/${late.id}/view`))).body.viewedAt).toBe(viewed.body.viewedAt);

    const marked = await hub.core.services.invoices.markOverdue('2026-03-11');
    expect(marked.map((i) => i.id)).toContain(late.id);
    expect(marked.map((i) => i.id)).not.toContain(onTime.id);
    expect((await hub.request('GET', f.path(`/invoices/${late.id}`))).body.status).toBe('OVERDUE');
    expect((await hub.request('GET', f.path(`/invoices/${onTime.id}`))).body.status).toBe('SENT');
    expect((await hub.core.services.invoices.markOverdue('2026-03-11')).map((i) => i.id)).not.toContain(late.id);
    const events = await storedEvents(hub, { aggregateId: late.id });
    expect(events.map((e: { type: string }) => e.type)).toEqual(['invoice.created', 'invoice.issued', 'invoice.viewed', 'invoice.overdue']);
    expect(events[3]?.metadata).toEqual({ source: 'SYSTEM' });
    expect(events[3]?.data.previousAttributes).toEqual({ status: 'VIEWED' });
  });
});
