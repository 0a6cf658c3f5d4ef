import type { ApAgingReport, Bill } from '@uah/schemas';
import type { PayablesAsOf } from '../ledger/service.js';
import { bucketOf, daysBetween, emptyBuckets } from './aging.js';

type VendorAging = ApAgingReport['vendors'][number];
type BillAging = VendorAging['bills'][number];
export type ApAgingBody = Pick<ApAgingReport, 'vendors' | 'unallocated' | 'totals'>;

function addTo(buckets: Array<ApAgingReport['totals']>, bucket: BillAging['bucket'], amount: number): void {
  for (const b of buckets) {
    b[bucket] += amount;
    b.total += amount;
  }
}

const byDue = (a: BillAging, b: BillAging): number => (a.dueDate === b.dueDate ? (a.billId < b.billId ? -1 : 1) : (a.dueDate ?? '') < (b.dueDate ?? '') ? -1 : 1);

/**
 * Ages the payables subledger at `asOf` the way the AR aging ages receivables: each bill's balance as the
 * postings give it that day, by days past its due date; lines naming no bill by days since their entry.
 * A bill reference the purchasing context does not know is still counted, so the total never drifts from the ledger.
 */
export function agePayables(payables: PayablesAsOf, bills: Map<string, Bill>, nameOf: (vendorId: string) => string): ApAgingBody {
  const { asOf } = payables;
  const byVendor = new Map<string, VendorAging>();
  const totals = emptyBuckets();
  for (const open of payables.bills) {
    const bill = bills.get(open.billId);
    const vendorId = bill?.vendorId ?? open.vendorId ?? '';
    const dueDate = bill?.dueDate ?? null;
    const daysPastDue = dueDate === null ? 0 : Math.max(0, daysBetween(dueDate, asOf));
    const bucket = bucketOf(daysPastDue);
    const currency = bill?.currency ?? ((Object.keys(open.currencyBalances)[0] ?? 'USD') as BillAging['currency']);
    let entry = byVendor.get(vendorId);
    if (!entry) {
      entry = { vendorId, displayName: nameOf(vendorId), buckets: emptyBuckets(), bills: [] };
      byVendor.set(vendorId, entry);
    }
    entry.bills.push({ billId: open.billId, vendorReference: bill?.vendorReference ?? null, billDate: bill?.billDate ?? null, dueDate, daysPastDue, bucket, currency, balance: open.currencyBalances[currency] ?? 0, baseBalance: open.baseBalance });
    addTo([entry.buckets, totals], bucket, open.baseBalance);
  }
  for (const v of byVendor.values()) v.bills.sort(byDue);
  const vendors = [...byVendor.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.vendorId < b.vendorId ? -1 : 1));
  const unallocated: ApAgingBody['unallocated'] = { buckets: emptyBuckets(), entries: [] };
  for (const u of payables.unallocated) {
    const daysOutstanding = Math.max(0, daysBetween(u.date, asOf));
    const bucket = bucketOf(daysOutstanding);
    unallocated.entries.push({ entryId: u.entryId, number: u.entryNumber, date: u.date, memo: u.memo, daysOutstanding, bucket, baseBalance: u.baseBalance });
    addTo([unallocated.buckets, totals], bucket, u.baseBalance);
  }
  return { vendors, unallocated, totals };
}
