import { describe, expect, it } from 'vitest';
import type { Invoice } from '@uah/schemas';
import type { ReceivablesAsOf } from '../ledger/service.js';
import { ageReceivables, bucketOf, daysBetween } from './aging.js';

const invoice = (id: string, customerId: string, dueDate: string, extra: Partial<Invoice> = {}): Invoice =>
  ({ id, customerId, number: id.toUpperCase(), issueDate: '2026-01-01', dueDate, currency: 'USD', exchangeRate: null, ...extra }) as Invoice;
const open = (invoiceId: string, customerId: string, baseBalance: number, currencyBalances: Record<string, number> = { USD: baseBalance }) => ({ invoiceId, customerId, baseBalance, currencyBalances });

describe('AR aging', () => {
  it('puts days past due into the standard buckets', () => {
    expect([0, -5, 1, 30, 31, 60, 61, 90, 91, 400].map(bucketOf)).toEqual(['current', 'current', 'days1To30', 'days1To30', 'days31To60', 'days31To60', 'days61To90', 'days61To90', 'over90', 'over90']);
    expect(daysBetween('2026-02-28', '2026-03-01')).toBe(1);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
  });

  it('ages the ledger balances per invoice, groups by customer and adds the unallocated entries to the totals', () => {
    const receivables: ReceivablesAsOf = {
      asOf: '2026-03-31',
      accountId: 'acc_1',
      balance: 3350 - 120,
      invoices: [open('inv_1', 'cus_b', 1000), open('inv_2', 'cus_a', 2000), open('inv_3', 'cus_a', 300), open('inv_4', 'cus_b', 50)],
      unallocated: [{ entryId: 'je_1', entryNumber: 7, date: '2026-01-15', memo: 'Adjustment', baseBalance: -120 }],
    };
    const invoices = new Map([invoice('inv_1', 'cus_b', '2026-03-31'), invoice('inv_2', 'cus_a', '2026-03-01'), invoice('inv_3', 'cus_a', '2025-12-01'), invoice('inv_4', 'cus_b', '2026-02-01')].map((i) => [i.id, i]));
    const report = ageReceivables(receivables, invoices, 'USD', (id) => (id === 'cus_a' ? 'Alpha' : 'Beta'));
    expect(report.totals).toEqual({ current: 1000, days1To30: 2000, days31To60: 50, days61To90: -120, over90: 300, total: 3230 });
    expect(report.totals.total).toBe(receivables.balance);
    expect(report.customers.map((c) => [c.displayName, c.buckets.total, c.invoices.map((i) => [i.invoiceId, i.daysPastDue, i.bucket])])).toEqual([
      ['Alpha', 2300, [['inv_3', 120, 'over90'], ['inv_2', 30, 'days1To30']]],
      ['Beta', 1050, [['inv_4', 58, 'days31To60'], ['inv_1', 0, 'current']]],
    ]);
    expect(report.unallocated).toEqual({
      buckets: { current: 0, days1To30: 0, days31To60: 0, days61To90: -120, over90: 0, total: -120 },
      entries: [{ entryId: 'je_1', number: 7, date: '2026-01-15', memo: 'Adjustment', daysOutstanding: 75, bucket: 'days61To90', baseBalance: -120 }],
    });
  });

  it('gives a foreign invoice its own-currency balance beside the base balance the ledger carries', () => {
    const receivables: ReceivablesAsOf = { asOf: '2026-03-31', accountId: 'acc_1', balance: 223, invoices: [open('inv_9', 'cus_a', 223, { EUR: 222, USD: -1 })], unallocated: [] };
    const eur = invoice('inv_9', 'cus_a', '2026-04-30', { currency: 'EUR', exchangeRate: '1.005' });
    const [row] = ageReceivables(receivables, new Map([[eur.id, eur]]), 'USD', () => 'Alpha').customers;
    expect(row?.invoices).toEqual([{ invoiceId: 'inv_9', number: 'INV_9', issueDate: '2026-01-01', dueDate: '2026-04-30', daysPastDue: 0, bucket: 'current', currency: 'EUR', balance: 222, baseBalance: 223 }]);
  });

  it('still counts a reference the sales context does not know, under the customer its lines name', () => {
    const receivables: ReceivablesAsOf = { asOf: '2026-03-31', accountId: 'acc_1', balance: 500, invoices: [open('inv_x', 'cus_a', 500, { GBP: 400, USD: 0 })], unallocated: [] };
    const report = ageReceivables(receivables, new Map(), 'USD', () => 'Alpha');
    expect(report.customers[0]?.invoices[0]).toMatchObject({ invoiceId: 'inv_x', number: null, dueDate: null, bucket: 'current', currency: 'GBP', balance: 400, baseBalance: 500 });
    expect(report.totals.total).toBe(500);
  });
});
