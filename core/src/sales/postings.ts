import type { CurrencyCode, SalesLine } from '@uah/schemas';
import type { LineReference, PostEntryInput, PostingLineInput } from '../ledger/service.js';

/** What a document posts, before the direction of each leg is chosen. */
export interface DocumentLegs {
  /** Net amounts per revenue account. */
  revenue: Map<string, number>;
  /** Tax per tax account. */
  tax: Map<string, number>;
  total: number;
}

function add(map: Map<string, number>, key: string, amount: number): void {
  if (amount !== 0) map.set(key, (map.get(key) ?? 0) + amount);
}

/** Groups the lines' nets by revenue account and their taxes by the account of their tax rate. */
export function legsOf(lines: Array<Pick<SalesLine, 'accountId' | 'netAmount' | 'taxAmount' | 'taxRateId'>>, taxAccountOf: (taxRateId: string) => string): DocumentLegs {
  const revenue = new Map<string, number>();
  const tax = new Map<string, number>();
  let total = 0;
  for (const line of lines) {
    if (line.accountId === null) throw new Error('a sales line without a revenue account cannot be posted');
    add(revenue, line.accountId, line.netAmount);
    if (line.taxRateId !== null) add(tax, taxAccountOf(line.taxRateId), line.taxAmount);
    total += line.netAmount + line.taxAmount;
  }
  return { revenue, tax, total };
}

export interface DocumentPosting {
  date: string;
  currency: CurrencyCode;
  exchangeRate: string | null;
  memo: string;
  source: { type: string; id: string };
  /** The invoice (and its customer) the receivables line charges or credits: the AR aging reads it. */
  reference: LineReference;
}

/**
 * An invoice debits receivables with its total and credits each revenue and tax account; a credit note
 * posts the same legs the other way round. Null when there is nothing to post (a zero document).
 */
export function documentEntry(legs: DocumentLegs, posting: DocumentPosting, kind: 'invoice' | 'credit'): PostEntryInput | null {
  if (legs.total === 0) return null;
  const toRevenue = kind === 'invoice' ? 'CREDIT' : 'DEBIT';
  const toReceivables = kind === 'invoice' ? 'DEBIT' : 'CREDIT';
  const lines: PostingLineInput[] = [{ account: { key: 'receivables' }, direction: toReceivables, amount: legs.total, reference: posting.reference }];
  for (const [id, amount] of legs.revenue) lines.push({ account: { id }, direction: toRevenue, amount });
  for (const [id, amount] of legs.tax) lines.push({ account: { id }, direction: toRevenue, amount, description: 'Sales tax' });
  return {
    date: posting.date,
    currency: posting.currency,
    memo: posting.memo,
    lines,
    source: posting.source,
    ...(posting.exchangeRate !== null ? { exchangeRate: posting.exchangeRate } : {}),
  };
}
