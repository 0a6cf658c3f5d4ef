import type { ArAgingBuckets, ArAgingReport, CurrencyCode, Invoice } from '@uah/schemas';
import { convertMinor } from '../shared/money.js';

export type Bucket = Exclude<keyof ArAgingBuckets, 'total'>;

const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (YYYY-MM-DD, calendar days, no time zone involved). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Not yet due (or due today) is current; then 1–30, 31–60, 61–90 and over 90 days past due. */
export function bucketOf(daysPastDue: number): Bucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return 'days1To30';
  if (daysPastDue <= 60) return 'days31To60';
  if (daysPastDue <= 90) return 'days61To90';
  return 'over90';
}

export function emptyBuckets(): ArAgingBuckets {
  return { current: 0, days1To30: 0, days31To60: 0, days61To90: 0, over90: 0, total: 0 };
}

/**
 * An invoice's open balance in base currency, measured as the ledger carries it: the total at the
 * invoice's rate less what was settled at that rate (payments relieve receivables cumulatively, so this
 * is exactly the receivable left for the invoice).
 */
export function baseBalanceOf(invoice: Pick<Invoice, 'currency' | 'exchangeRate' | 'total' | 'balance'>, base: CurrencyCode): number {
  if (invoice.currency === base || invoice.exchangeRate === null) return invoice.balance;
  const at = (v: number): number => convertMinor(v, invoice.currency, base, invoice.exchangeRate as string);
  return at(invoice.total) - at(invoice.total - invoice.balance);
}

type CustomerAging = ArAgingReport['customers'][number];

/** Groups open invoices by customer and bucket; customers and invoices in a stable order. */
export function ageInvoices(invoices: Invoice[], asOf: string, base: CurrencyCode, nameOf: (customerId: string) => string): { customers: CustomerAging[]; totals: ArAgingBuckets } {
  const byCustomer = new Map<string, CustomerAging>();
  const totals = emptyBuckets();
  const sorted = [...invoices].sort((a, b) => (a.dueDate === b.dueDate ? (a.id < b.id ? -1 : 1) : a.dueDate < b.dueDate ? -1 : 1));
  for (const invoice of sorted) {
    const daysPastDue = Math.max(0, daysBetween(invoice.dueDate, asOf));
    const bucket = bucketOf(daysPastDue);
    const baseBalance = baseBalanceOf(invoice, base);
    let entry = byCustomer.get(invoice.customerId);
    if (!entry) {
      entry = { customerId: invoice.customerId, displayName: nameOf(invoice.customerId), buckets: emptyBuckets(), invoices: [] };
      byCustomer.set(invoice.customerId, entry);
    }
    entry.invoices.push({ invoiceId: invoice.id, number: invoice.number, issueDate: invoice.issueDate, dueDate: invoice.dueDate, daysPastDue, bucket, currency: invoice.currency, balance: invoice.balance, baseBalance });
    for (const b of [entry.buckets, totals]) {
      b[bucket] += baseBalance;
      b.total += baseBalance;
    }
  }
  const customers = [...byCustomer.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.customerId < b.customerId ? -1 : 1));
  return { customers, totals };
}
