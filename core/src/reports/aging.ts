import type { ArAgingBuckets, ArAgingReport, CurrencyCode, Invoice } from '@uah/schemas';
import type { ReceivablesAsOf } from '../ledger/service.js';

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

type CustomerAging = ArAgingReport['customers'][number];
type InvoiceAging = CustomerAging['invoices'][number];
export type AgingBody = Pick<ArAgingReport, 'customers' | 'unallocated' | 'totals'>;

function addTo(buckets: ArAgingBuckets[], bucket: Bucket, amount: number): void {
  for (const b of buckets) {
    b[bucket] += amount;
    b.total += amount;
  }
}

/** Earliest due first, then by id: the most overdue invoice of a customer at the top. */
const byDue = (a: InvoiceAging, b: InvoiceAging): number => {
  const da = a.dueDate ?? '';
  const db = b.dueDate ?? '';
  return da === db ? (a.invoiceId < b.invoiceId ? -1 : 1) : da < db ? -1 : 1;
};

/**
 * Ages the receivables subledger at `asOf`: each invoice's balance as the postings give it at that day,
 * by days past its due date; the lines that name no invoice by days since their entry. The invoices
 * (number, customer, dates, currency) come from the sales context; an invoice reference it does not know
 * is still counted (under the customer its lines name), so the total never drifts from the ledger.
 */
export function ageReceivables(receivables: ReceivablesAsOf, invoices: Map<string, Invoice>, base: CurrencyCode, nameOf: (customerId: string) => string): AgingBody {
  const { asOf } = receivables;
  const byCustomer = new Map<string, CustomerAging>();
  const totals = emptyBuckets();
  for (const open of receivables.invoices) {
    const invoice = invoices.get(open.invoiceId);
    const customerId = invoice?.customerId ?? open.customerId ?? '';
    const dueDate = invoice?.dueDate ?? null;
    const daysPastDue = dueDate === null ? 0 : Math.max(0, daysBetween(dueDate, asOf));
    const bucket = bucketOf(daysPastDue);
    const currency = invoice?.currency ?? documentCurrency(open.currencyBalances, base);
    let entry = byCustomer.get(customerId);
    if (!entry) {
      entry = { customerId, displayName: nameOf(customerId), buckets: emptyBuckets(), invoices: [] };
      byCustomer.set(customerId, entry);
    }
    const balance = open.currencyBalances[currency] ?? 0;
    entry.invoices.push({ invoiceId: open.invoiceId, number: invoice?.number ?? null, issueDate: invoice?.issueDate ?? null, dueDate, daysPastDue, bucket, currency, balance, baseBalance: open.baseBalance });
    addTo([entry.buckets, totals], bucket, open.baseBalance);
  }
  for (const c of byCustomer.values()) c.invoices.sort(byDue);
  const customers = [...byCustomer.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.customerId < b.customerId ? -1 : 1));

  const unallocated: AgingBody['unallocated'] = { buckets: emptyBuckets(), entries: [] };
  for (const u of receivables.unallocated) {
    const daysOutstanding = Math.max(0, daysBetween(u.date, asOf));
    const bucket = bucketOf(daysOutstanding);
    unallocated.entries.push({ entryId: u.entryId, number: u.entryNumber, date: u.date, memo: u.memo, daysOutstanding, bucket, baseBalance: u.baseBalance });
    addTo([unallocated.buckets, totals], bucket, u.baseBalance);
  }
  return { customers, unallocated, totals };
}

/** The document currency of an invoice the sales context does not know: its non-base line currency, else the base. */
function documentCurrency(balances: ReceivablesAsOf['invoices'][number]['currencyBalances'], base: CurrencyCode): CurrencyCode {
  return (Object.keys(balances) as CurrencyCode[]).find((c) => c !== base) ?? base;
}
