import { describe, expect, it } from 'vitest';
import { creditApplicationEntry, receiptEntry, refundEntry, type Money } from './postings.js';

const usd: Money = { currency: 'USD', exchangeRate: null, baseCurrency: 'USD' };
const refs = (entry: ReturnType<typeof receiptEntry>) =>
  entry.lines.map((l) => ['key' in l.account ? l.account.key : '?', l.direction, l.amount, l.reference?.invoiceId ?? null, l.reference?.customerId ?? null]);

/** Every receivables line of a payment names its invoice and customer (the AR aging reads them); credit lines name the customer. */
describe('payment postings: subledger references', () => {
  it('a receipt names the invoice on each receivables line, FX pair included, and the payer on the credit line', () => {
    const entry = receiptEntry({
      paymentId: 'pay_1', date: '2026-02-01', memo: 'm', deposit: 'bank', net: 12_000, fees: 0, customerId: 'cus_A', credit: 2_000,
      invoices: [{ invoiceId: 'inv_1', customerId: 'cus_A', label: 'INV-1', amount: 6_000, fx: 0 }, { invoiceId: 'inv_2', customerId: 'cus_A', label: 'INV-2', amount: 4_000, fx: -30 }],
    }, { currency: 'EUR', exchangeRate: '1.2', baseCurrency: 'USD' });
    expect(refs(entry)).toEqual([
      ['bank', 'DEBIT', 12_000, null, null],
      ['receivables', 'CREDIT', 6_000, 'inv_1', 'cus_A'],
      ['receivables', 'CREDIT', 4_000, 'inv_2', 'cus_A'],
      ['receivables', 'CREDIT', 30, 'inv_2', 'cus_A'],
      ['fx_gain_loss', 'DEBIT', 30, null, null],
      ['customer_credits', 'CREDIT', 2_000, null, 'cus_A'],
    ]);
  });

  it('a refund and a credit application name them the same way', () => {
    const refund = refundEntry({ refundId: 'rfd_1', date: '2026-02-05', memo: 'r', deposit: 'bank', customerId: 'cus_A', credit: 500, invoices: [{ invoiceId: 'inv_1', customerId: 'cus_A', label: 'INV-1', amount: 1_500, fx: 0 }] }, usd);
    expect(refs(refund)).toEqual([['bank', 'CREDIT', 2_000, null, null], ['receivables', 'DEBIT', 1_500, 'inv_1', 'cus_A'], ['customer_credits', 'DEBIT', 500, null, 'cus_A']]);
    const applied = creditApplicationEntry({ paymentId: 'pay_1', date: '2026-02-06', memo: 'a', invoices: [{ invoiceId: 'inv_2', customerId: 'cus_A', label: 'INV-2', amount: 700, fx: 0 }] }, usd);
    expect(refs(applied)).toEqual([['customer_credits', 'DEBIT', 700, null, 'cus_A'], ['receivables', 'CREDIT', 700, 'inv_2', 'cus_A']]);
  });
});
