import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { get, post, setupBooks, type Books, type Json } from '../payments/testing.js';

/**
 * The AR aging is read from the postings, so it is right as of any date: a history spread over four
 * months (invoices to two customers, a void, partial and full payments, a credit note, a refund, a manual
 * journal entry to receivables), aged before, between and after the events. At every date the aging
 * totals exactly the receivables balance of the trial balance, and an invoice settled later shows what it
 * owed on that date.
 */
describe('AR aging from the postings, as of any date', () => {
  let hub: TestHub;
  let books: Books;
  let customerB: string;
  const ids: Record<string, string> = {};

  const invoice = async (customerId: string, issueDate: string, dueDate: string, unitPrice: number, taxed: boolean, extra: Record<string, unknown> = {}) => {
    const draft = await post(hub, books, '/invoices', { customerId, issueDate, dueDate, lines: [{ description: 'Work', quantity: '1', unitPrice, taxRateId: taxed ? books.tax : null }], ...extra });
    return (await post(hub, books, `/invoices/${draft.id}/issue`, {}, 200)).id as string;
  };
  const pay = (customerId: string, invoiceId: string, amount: number, date: string) =>
    post(hub, books, '/payments', { customerId, amount, method: 'BANK_TRANSFER', date, applications: [{ invoiceId, amount }] });
  const aging = (asOf: string) => get(hub, books, `/reports/ar-aging?asOf=${asOf}`);
  const receivablesAt = async (asOf: string): Promise<number> => {
    const trial = await get(hub, books, `/reports/trial-balance?asOf=${asOf}`);
    const row = (trial.accounts as Array<{ code: string; debit: number; credit: number }>).find((a) => a.code === '1100');
    return row ? row.debit - row.credit : 0;
  };
  const rows = (report: Json) =>
    (report.customers as Json[]).flatMap((c) => (c.invoices as Json[]).map((i) => [i.invoiceId, i.daysPastDue, i.bucket, i.balance, i.baseBalance]));

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'History Ltd', 'USD');
    customerB = (await post(hub, books, '/customers', { businessName: 'Zeta Buyer' })).id;
    ids.i1 = await invoice(books.customerId, '2026-01-10', '2026-02-09', 100_000, true); // 110,000 with tax
    await post(hub, books, '/journal-entries', { date: '2026-01-20', currency: 'USD', memo: 'Opening receivable', lines: [{ accountCode: '1100', direction: 'DEBIT', amount: 5_000 }, { accountCode: '4100', direction: 'CREDIT', amount: 5_000 }] });
    ids.i2 = await invoice(customerB, '2026-02-01', '2026-03-03', 50_000, false);
    ids.i3 = await invoice(books.customerId, '2026-02-05', '2026-03-07', 30_000, false);
    ids.p1 = (await pay(books.customerId, ids.i1, 40_000, '2026-02-15')).id;
    await post(hub, books, `/invoices/${ids.i3}/void`, { date: '2026-02-20', reason: 'Wrong customer' }, 200);
    await post(hub, books, '/credit-notes', { invoiceId: ids.i2, amount: 10_000, date: '2026-03-01' });
    ids.p2 = (await pay(books.customerId, ids.i1, 70_000, '2026-03-10')).id;
    await post(hub, books, `/payments/${ids.p2}/refund`, { amount: 20_000, date: '2026-03-20' }, 200);
    await pay(customerB, ids.i2, 40_000, '2026-04-05');
  });
  afterAll(() => hub.close());

  it('totals exactly the receivables balance of the trial balance before, between and after the events', async () => {
    const expected: Array<[string, number]> = [
      ['2026-01-09', 0], ['2026-01-31', 115_000], ['2026-02-10', 195_000], ['2026-02-28', 125_000],
      ['2026-03-15', 45_000], ['2026-03-31', 65_000], ['2026-04-30', 25_000], ['2027-12-31', 25_000],
    ];
    for (const [asOf, total] of expected) {
      const report = await aging(asOf);
      expect([asOf, report.totals.total, await receivablesAt(asOf)]).toEqual([asOf, total, total]);
    }
  });

  it('ages each invoice by what it owed at the date, per customer, with the manual entry as unallocated', async () => {
    const feb = await aging('2026-02-28');
    // I1: 110,000 − 40,000 paid on 02-15, due 02-09: 19 days late. I2: 50,000, due 03-03. I3 voided on 02-20.
    // The manual 5,000 of 01-20 is 39 days old.
    expect(feb.totals).toEqual({ current: 50_000, days1To30: 70_000, days31To60: 5_000, days61To90: 0, over90: 0, total: 125_000 });
    expect(feb.customers.map((c: Json) => [c.customerId, c.buckets])).toEqual([
      [books.customerId, { current: 0, days1To30: 70_000, days31To60: 0, days61To90: 0, over90: 0, total: 70_000 }],
      [customerB, { current: 50_000, days1To30: 0, days31To60: 0, days61To90: 0, over90: 0, total: 50_000 }],
    ]);
    expect(rows(feb)).toEqual([[ids.i1, 19, 'days1To30', 70_000, 70_000], [ids.i2, 0, 'current', 50_000, 50_000]]);
    expect(feb.unallocated.entries).toEqual([{ entryId: expect.stringMatching(/^je_/), number: 2, date: '2026-01-20', memo: 'Opening receivable', daysOutstanding: 39, bucket: 'days31To60', baseBalance: 5_000 }]);

    // Before the void, I3 was owed; the next day I1 was one day late.
    expect(rows(await aging('2026-02-10'))).toEqual([[ids.i1, 1, 'days1To30', 110_000, 110_000], [ids.i3, 0, 'current', 30_000, 30_000], [ids.i2, 0, 'current', 50_000, 50_000]]);

    // I1 settled on 03-10 and reopened by 20,000 by the refund of 03-20; I2 credited 10,000 on 03-01.
    expect(rows(await aging('2026-03-15'))).toEqual([[ids.i2, 12, 'days1To30', 40_000, 40_000]]);
    const march = await aging('2026-03-31');
    expect(rows(march)).toEqual([[ids.i1, 50, 'days31To60', 20_000, 20_000], [ids.i2, 28, 'days1To30', 40_000, 40_000]]);
    expect(march.totals).toEqual({ current: 0, days1To30: 40_000, days31To60: 20_000, days61To90: 5_000, over90: 0, total: 65_000 });
  });

  it('shows an invoice paid after the date with its balance then, although it is settled now', async () => {
    const i2 = await get(hub, books, `/invoices/${ids.i2}`);
    expect([i2.status, i2.balance]).toEqual(['PAID', 0]);
    expect(rows(await aging('2026-04-04'))).toContainEqual([ids.i2, 32, 'days31To60', 40_000, 40_000]);
    expect(rows(await aging('2026-04-05')).map((r) => r[0])).toEqual([ids.i1]);
  });

  it('marks every receivables line with its invoice and customer, reversals included', async () => {
    const lines = async (query: string) => {
      const page = await get(hub, books, `/journal-entries?${query}&limit=100`);
      return (page.data as Json[]).flatMap((e) => (e.lines as Json[]).filter((l) => l.accountCode === '1100' || l.accountCode === '2300').map((l) => [e.source?.type ?? 'manual', l.accountCode, l.direction, l.amount, l.invoiceId, l.customerId]));
    };
    const all = await lines('from=2026-01-01');
    const a = books.customerId;
    expect(all).toEqual([
      ['invoice', '1100', 'DEBIT', 110_000, ids.i1, a],
      ['manual', '1100', 'DEBIT', 5_000, null, null],
      ['invoice', '1100', 'DEBIT', 50_000, ids.i2, customerB],
      ['invoice', '1100', 'DEBIT', 30_000, ids.i3, a],
      ['payment', '1100', 'CREDIT', 40_000, ids.i1, a],
      ['invoice', '1100', 'CREDIT', 30_000, ids.i3, a],
      ['credit_note', '1100', 'CREDIT', 10_000, ids.i2, customerB],
      ['payment', '1100', 'CREDIT', 70_000, ids.i1, a],
      ['refund', '1100', 'DEBIT', 20_000, ids.i1, a],
      ['payment', '1100', 'CREDIT', 40_000, ids.i2, customerB],
    ]);
  });
});

describe('AR aging of a foreign-currency invoice', () => {
  let hub: TestHub;
  let books: Books;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Export Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('carries the receivable at the invoice rate with the realized FX adjustment, and the balance in the invoice currency', async () => {
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, currency: 'EUR', exchangeRate: '1.1', issueDate: '2026-05-01', dueDate: '2026-05-31', lines: [{ description: 'Export', quantity: '1', unitPrice: 100_000, taxRateId: null }] });
    const inv = await post(hub, books, `/invoices/${draft.id}/issue`, {}, 200);
    // 50,000 EUR at 1.2 credits 60,000 USD; at the invoice's 1.1 it relieved 55,000: a 5,000 gain, Dr receivables.
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 50_000, currency: 'EUR', exchangeRate: '1.2', method: 'BANK_TRANSFER', date: '2026-06-10', applications: [{ invoiceId: inv.id, amount: 50_000 }] });
    const entry = await get(hub, books, `/journal-entries/${payment.journalEntryId}`);
    expect((entry.lines as Json[]).filter((l) => l.accountCode === '1100').map((l) => [l.direction, l.amount, l.currency, l.baseAmount, l.invoiceId])).toEqual([
      ['CREDIT', 50_000, 'EUR', 60_000, inv.id], ['DEBIT', 5_000, 'USD', 5_000, inv.id],
    ]);
    const june = await get(hub, books, '/reports/ar-aging?asOf=2026-06-30');
    expect(june.customers[0].invoices.map((i: Json) => [i.invoiceId, i.currency, i.balance, i.baseBalance, i.bucket])).toEqual([[inv.id, 'EUR', 50_000, 55_000, 'days1To30']]);
    expect(june.totals.total).toBe(55_000);
    const may = await get(hub, books, '/reports/ar-aging?asOf=2026-05-31');
    expect(may.customers[0].invoices.map((i: Json) => [i.balance, i.baseBalance])).toEqual([[100_000, 110_000]]);
    const trial = await get(hub, books, '/reports/trial-balance?asOf=2026-06-30');
    expect((trial.accounts as Json[]).find((a) => a.code === '1100')?.debit).toBe(55_000);
  });
});
