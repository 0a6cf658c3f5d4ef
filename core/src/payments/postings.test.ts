import { describe, expect, it } from 'vitest';
import { creditApplicationEntry, fxDifference, receiptEntry, refundEntry, type Money } from './postings.js';
import { splitRefund } from './allocation.js';

const usd: Money = { currency: 'USD', exchangeRate: null, baseCurrency: 'USD' };
const eurAt = (rate: string): Money => ({ currency: 'EUR', exchangeRate: rate, baseCurrency: 'USD' });
const lines = (entry: ReturnType<typeof receiptEntry>) => entry.lines.map((l) => [l.direction, 'key' in l.account ? l.account.key : '?', l.amount, l.currency ?? entry.currency]);

describe('payment postings', () => {
  it('posts a receipt: net to the deposit account, fees to expense, receivables per invoice, the rest to customer credits', () => {
    const entry = receiptEntry({ paymentId: 'pay_1', date: '2026-02-01', memo: 'm', deposit: 'payment_clearing', net: 9680, fees: 320, invoices: [{ invoiceId: 'inv_1', label: 'INV-1', amount: 8000, fx: 0 }], credit: 2000 }, usd);
    expect(lines(entry)).toEqual([
      ['DEBIT', 'payment_clearing', 9680, 'USD'],
      ['DEBIT', 'payment_fees', 320, 'USD'],
      ['CREDIT', 'receivables', 8000, 'USD'],
      ['CREDIT', 'customer_credits', 2000, 'USD'],
    ]);
    expect(entry).toMatchObject({ date: '2026-02-01', currency: 'USD', source: { type: 'payment', id: 'pay_1' } });
    expect(entry).not.toHaveProperty('exchangeRate');
  });

  it('leaves out zero lines (no fees, nothing unapplied)', () => {
    const entry = receiptEntry({ paymentId: 'pay_1', date: '2026-02-01', memo: 'm', deposit: 'bank', net: 5000, fees: 0, invoices: [{ invoiceId: 'inv_1', label: 'INV-1', amount: 5000, fx: 0 }], credit: 0 }, usd);
    expect(lines(entry)).toEqual([['DEBIT', 'bank', 5000, 'USD'], ['CREDIT', 'receivables', 5000, 'USD']]);
  });

  it('posts a realized FX gain as base-currency lines so the receivable clears at the invoice rate', () => {
    const money = eurAt('1.2');
    // Invoice of 100.00 EUR booked at 1.1 (110.00 USD), paid at 1.2 (120.00 USD): 10.00 USD gain.
    const fx = fxDifference(money, '1.1', 10000, 0);
    expect(fx).toBe(1000);
    const entry = receiptEntry({ paymentId: 'pay_1', date: '2026-02-01', memo: 'm', deposit: 'bank', net: 10000, fees: 0, invoices: [{ invoiceId: 'inv_1', label: 'INV-1', amount: 10000, fx }], credit: 0 }, money);
    expect(entry.exchangeRate).toBe('1.2');
    expect(lines(entry)).toEqual([
      ['DEBIT', 'bank', 10000, 'EUR'],
      ['CREDIT', 'receivables', 10000, 'EUR'],
      ['DEBIT', 'receivables', 1000, 'USD'],
      ['CREDIT', 'fx_gain_loss', 1000, 'USD'],
    ]);
    expect(fxDifference(eurAt('1.0'), '1.1', 10000, 0)).toBe(-1000);
  });

  it('measures the receivable relieved cumulatively, so partial payments leave no rounding residue', () => {
    const money = eurAt('1.005');
    const parts = [0, 111, 222].map((before) => 112 - fxDifference(money, '1.005', 111, before));
    // 3.33 EUR at 1.005 is booked as 3.35 USD; the three thirds relieve 1.12 + 1.11 + 1.12.
    expect(parts).toEqual([112, 111, 112]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(335);
    expect(fxDifference(money, '1.005', 111, 0)).toBe(0);
    expect(fxDifference(usd, null, 111, 0)).toBe(0);
  });

  it('reverses a receipt for a refund, without the fees, and applies credit with a pair of lines', () => {
    const refund = refundEntry({ refundId: 'rfd_1', date: '2026-02-05', memo: 'r', deposit: 'bank', invoices: [{ invoiceId: 'inv_1', label: 'INV-1', amount: 1500, fx: 0 }], credit: 2000 }, usd);
    expect(lines(refund)).toEqual([['CREDIT', 'bank', 3500, 'USD'], ['DEBIT', 'receivables', 1500, 'USD'], ['DEBIT', 'customer_credits', 2000, 'USD']]);
    expect(refund.source).toEqual({ type: 'refund', id: 'rfd_1' });
    const applied = creditApplicationEntry({ paymentId: 'pay_1', date: '2026-02-06', memo: 'a', invoices: [{ invoiceId: 'inv_2', label: 'INV-2', amount: 700, fx: 0 }] }, usd);
    expect(lines(applied)).toEqual([['DEBIT', 'customer_credits', 700, 'USD'], ['CREDIT', 'receivables', 700, 'USD']]);
  });

  it('splits a refund: customer credit first, then applications latest first', () => {
    const apps = [
      { id: 'papp_1', invoiceId: 'inv_a', amount: 3000, amountRefunded: 0, appliedAt: '2026-01-01' },
      { id: 'papp_2', invoiceId: 'inv_b', amount: 2000, amountRefunded: 500, appliedAt: '2026-01-02' },
      { id: 'papp_3', invoiceId: 'inv_c', amount: 900, amountRefunded: 0, appliedAt: null },
    ];
    expect(splitRefund(1000, 1000, apps)).toEqual({ credit: 1000, applications: [] });
    expect(splitRefund(3000, 1000, apps)).toEqual({ credit: 1000, applications: [{ applicationId: 'papp_2', invoiceId: 'inv_b', amount: 1500 }, { applicationId: 'papp_1', invoiceId: 'inv_a', amount: 500 }] });
    expect(() => splitRefund(6000, 1000, apps)).toThrow(/cannot be split/);
  });
});
