import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { get, post, setupBooks, type Books } from '../payments/testing.js';

/**
 * One quarter of books, built through the API: an owner contribution, two invoices, a card payment with
 * fees and an expense. Every report is checked against figures worked out by hand.
 */
describe('reports', () => {
  let hub: TestHub;
  let books: Books;
  let invoiceA: string;
  let invoiceB: string;

  const entry = (date: string, debit: string, credit: string, amount: number) =>
    post(hub, books, '/journal-entries', { date, currency: 'USD', lines: [{ accountCode: debit, direction: 'DEBIT', amount }, { accountCode: credit, direction: 'CREDIT', amount }] });
  const invoice = async (issueDate: string, dueDate: string, unitPrice: number, taxed: boolean) => {
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, issueDate, dueDate, lines: [{ description: 'Work', quantity: '1', unitPrice, taxRateId: taxed ? books.tax : null }] });
    return (await post(hub, books, `/invoices/${draft.id}/issue`, {}, 200)).id as string;
  };
  const accounts = (rows: Array<{ code: string; amount?: number; debit?: number; credit?: number }>) => rows.map((r) => (r.amount !== undefined ? [r.code, r.amount] : [r.code, r.debit, r.credit]));

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Quarter Ltd', 'USD');
    await entry('2026-01-05', '1000', '3000', 1_000_000);
    invoiceA = await invoice('2026-01-10', '2026-02-09', 100_000, true);
    await post(hub, books, '/payments', { customerId: books.customerId, amount: 40_000, fees: 1_200, method: 'CARD', depositAccount: 'payment_clearing', date: '2026-02-01', applications: [{ invoiceId: invoiceA, amount: 40_000 }] });
    await entry('2026-02-15', '6900', '1000', 20_000);
    invoiceB = await invoice('2026-03-01', '2026-03-31', 50_000, false);
  });
  afterAll(() => hub.close());

  it('trial balance: each account on its debit or credit side as of a date, and the two columns agree', async () => {
    const january = await get(hub, books, '/reports/trial-balance?asOf=2026-01-31');
    expect(january).toMatchObject({ object: 'trial_balance', asOf: '2026-01-31', currency: 'USD', totals: { debit: 1_110_000, credit: 1_110_000 }, balanced: true });
    expect(accounts(january.accounts)).toEqual([['1000', 1_000_000, 0], ['1100', 110_000, 0], ['2100', 0, 10_000], ['3000', 0, 1_000_000], ['4100', 0, 100_000]]);
    const march = await get(hub, books, '/reports/trial-balance?asOf=2026-03-31');
    expect(accounts(march.accounts)).toEqual([
      ['1000', 980_000, 0], ['1050', 38_800, 0], ['1100', 120_000, 0], ['2100', 0, 10_000], ['3000', 0, 1_000_000], ['4100', 0, 150_000], ['6100', 1_200, 0], ['6900', 20_000, 0],
    ]);
    expect(march.totals).toEqual({ debit: 1_160_000, credit: 1_160_000 });
    const all = await get(hub, books, '/reports/trial-balance?asOf=2026-03-31&includeZero=true');
    expect(all.accounts).toHaveLength(21); // the default chart (disputed funds, inventory adjustments, deferred revenue and the payroll accounts included)
  });

  it('balance sheet: assets = liabilities + equity, with the unclosed earnings in equity', async () => {
    const sheet = await get(hub, books, '/reports/balance-sheet?asOf=2026-03-31');
    expect(accounts(sheet.assets.accounts)).toEqual([['1000', 980_000], ['1050', 38_800], ['1100', 120_000]]);
    expect(sheet.assets.total).toBe(1_138_800);
    expect(accounts(sheet.liabilities.accounts)).toEqual([['2100', 10_000]]);
    expect(sheet.equity).toEqual({ accounts: [{ accountId: expect.stringMatching(/^acc_/), code: '3000', name: "Owner's equity", type: 'EQUITY', amount: 1_000_000 }], currentEarnings: 128_800, total: 1_128_800 });
    expect(sheet).toMatchObject({ totalLiabilitiesAndEquity: 1_138_800, balanced: true });
  });

  it('profit and loss: revenue and expenses posted within the range', async () => {
    const q1 = await get(hub, books, '/reports/profit-and-loss?from=2026-02-01&to=2026-03-31');
    expect(accounts(q1.revenue.accounts)).toEqual([['4100', 50_000]]);
    expect(accounts(q1.expenses.accounts)).toEqual([['6100', 1_200], ['6900', 20_000]]);
    expect(q1).toMatchObject({ from: '2026-02-01', to: '2026-03-31', revenue: { total: 50_000 }, expenses: { total: 21_200 }, netIncome: 28_800 });
    const ytd = await get(hub, books, '/reports/profit-and-loss?to=2026-03-31');
    expect(ytd).toMatchObject({ from: '2026-01-01', netIncome: 128_800 });
    const bad = await hub.request('GET', books.path('/reports/profit-and-loss?from=2026-04-01&to=2026-03-31'), { token: books.org.apiKey });
    expect([bad.status, bad.body.errors[0].field]).toEqual([400, '/from']);
  });

  it('AR aging: open invoices by days past due, per customer, equal to receivables', async () => {
    const mid = await get(hub, books, '/reports/ar-aging?asOf=2026-03-15');
    expect(mid.totals).toEqual({ current: 50_000, days1To30: 0, days31To60: 70_000, days61To90: 0, over90: 0, total: 120_000 });
    expect(mid.customers).toHaveLength(1);
    expect(mid.customers[0].invoices.map((i: { invoiceId: string; daysPastDue: number; bucket: string; balance: number }) => [i.invoiceId, i.daysPastDue, i.bucket, i.balance])).toEqual([
      [invoiceA, 34, 'days31To60', 70_000],
      [invoiceB, 0, 'current', 50_000],
    ]);
    const before = await get(hub, books, '/reports/ar-aging?asOf=2026-02-20');
    expect(before.totals).toMatchObject({ days1To30: 70_000, total: 70_000 });
    const late = await get(hub, books, '/reports/ar-aging?asOf=2026-06-15');
    expect(late.totals).toMatchObject({ days61To90: 50_000, over90: 70_000, total: 120_000 });
  });

  it('refuses bad report parameters', async () => {
    for (const [path, field] of [['/reports/trial-balance?asOf=2026-13-01', '/asOf'], ['/reports/balance-sheet?colour=red', '/colour'], ['/reports/ar-aging?asOf=yesterday', '/asOf']] as const) {
      const res = await hub.request('GET', books.path(path), { token: books.org.apiKey });
      expect([path, res.status, res.body.errors[0].field]).toEqual([path, 400, field]);
    }
  });
});
