import { describe, expect, it } from 'vitest';
import type { Invoice } from '@uah/schemas';
import { ageInvoices, baseBalanceOf, bucketOf, daysBetween } from './aging.js';

const invoice = (id: string, customerId: string, dueDate: string, balance: number, extra: Partial<Invoice> = {}): Invoice =>
  ({ id, customerId, number: id.toUpperCase(), issueDate: '2026-01-01', dueDate, currency: 'USD', exchangeRate: null, total: balance, balance, ...extra }) as Invoice;

describe('AR aging', () => {
  it('puts days past due into the standard buckets', () => {
    expect([0, -5, 1, 30, 31, 60, 61, 90, 91, 400].map(bucketOf)).toEqual(['current', 'current', 'days1To30', 'days1To30', 'days31To60', 'days31To60', 'days61To90', 'days61To90', 'over90', 'over90']);
    expect(daysBetween('2026-02-28', '2026-03-01')).toBe(1);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
  });

  it('groups by customer and totals each bucket', () => {
    const report = ageInvoices(
      [invoice('inv_1', 'cus_b', '2026-03-31', 1000), invoice('inv_2', 'cus_a', '2026-03-01', 2000), invoice('inv_3', 'cus_a', '2025-12-01', 300), invoice('inv_4', 'cus_b', '2026-02-01', 50)],
      '2026-03-31',
      'USD',
      (id) => (id === 'cus_a' ? 'Alpha' : 'Beta'),
    );
    expect(report.totals).toEqual({ current: 1000, days1To30: 2000, days31To60: 50, days61To90: 0, over90: 300, total: 3350 });
    expect(report.customers.map((c) => [c.displayName, c.buckets.total, c.invoices.map((i) => [i.invoiceId, i.daysPastDue, i.bucket])])).toEqual([
      ['Alpha', 2300, [['inv_3', 120, 'over90'], ['inv_2', 30, 'days1To30']]],
      ['Beta', 1050, [['inv_4', 58, 'days31To60'], ['inv_1', 0, 'current']]],
    ]);
  });

  it('converts a foreign invoice at its own rate, as the receivable was booked', () => {
    // 333 EUR at 1.005 = 335 USD booked; 111 settled relieved 112; 223 left.
    expect(baseBalanceOf({ currency: 'EUR', exchangeRate: '1.005', total: 333, balance: 222 }, 'USD')).toBe(223);
    expect(baseBalanceOf({ currency: 'USD', exchangeRate: null, total: 333, balance: 222 }, 'USD')).toBe(222);
  });
});
