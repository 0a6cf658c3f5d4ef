import type { CurrencyCode } from '@uah/schemas';
import type { LineReference, PostEntryInput, PostingLineInput, SystemAccountKey } from '../ledger/service.js';
import { convertMinor } from '../shared/money.js';

/**
 * The journal entries of payments, as pure functions of amounts (tested without a database).
 *
 * A payment is posted at its own exchange rate. Receivables were posted at each invoice's rate, so in a
 * foreign currency the receivables line of the payment, converted at the payment's rate, does not clear
 * the invoice's receivable in base currency: the difference is a realized FX gain or loss, posted as a
 * pair of base-currency lines (receivables ↔ FX gain/loss) so that, once an invoice is settled, its
 * receivable is exactly zero in base currency too.
 */

export interface InvoiceLeg {
  invoiceId: string;
  /** The invoice's customer, carried on its receivables lines (the AR aging's subledger reference). */
  customerId?: string;
  /** How the invoice is named in the line description (its number). */
  label: string;
  /** Minor units of the payment's currency. */
  amount: number;
  /**
   * Base-currency minor units by which the receivables line at the payment's rate over-credits the
   * invoice's receivable (positive: a gain on a receipt), from `fxDifference`.
   */
  fx: number;
}

export interface Money {
  currency: CurrencyCode;
  /** Null when `currency` is the base currency. */
  exchangeRate: string | null;
  baseCurrency: CurrencyCode;
}

/**
 * The realized FX difference of settling `amount` of an invoice of which `settledBefore` was already
 * settled. The receivable relieved is measured cumulatively (base value of everything settled after,
 * minus before) so that partial payments never leave a rounding residue on a settled invoice.
 */
export function fxDifference(money: Money, invoiceRate: string | null, amount: number, settledBefore: number): number {
  if (money.currency === money.baseCurrency || invoiceRate === null || money.exchangeRate === null) return 0;
  const atInvoiceRate = (v: number): number => convertMinor(v, money.currency, money.baseCurrency, invoiceRate);
  const relieved = atInvoiceRate(settledBefore + amount) - atInvoiceRate(settledBefore);
  return convertMinor(amount, money.currency, money.baseCurrency, money.exchangeRate) - relieved;
}

interface Leg {
  key: SystemAccountKey;
  direction: 'DEBIT' | 'CREDIT';
  amount: number;
  description?: string;
  /** Set for base-currency lines of a foreign-currency entry (FX adjustments). */
  currency?: CurrencyCode;
  reference?: LineReference | undefined;
}

const flip = (d: 'DEBIT' | 'CREDIT'): 'DEBIT' | 'CREDIT' => (d === 'DEBIT' ? 'CREDIT' : 'DEBIT');

function customerReference(customerId: string | undefined, invoiceId?: string): LineReference | undefined {
  if (customerId === undefined && invoiceId === undefined) return undefined;
  return { ...(invoiceId !== undefined ? { invoiceId } : {}), ...(customerId !== undefined ? { customerId } : {}) };
}

/**
 * Receivables lines for the invoices, with their FX pairs: credited for a receipt, debited (and the FX
 * pair reversed) when money is taken back from the invoices by a refund.
 */
function invoiceLegs(invoices: InvoiceLeg[], money: Money, reverse = false): Leg[] {
  const dir = (d: 'DEBIT' | 'CREDIT'): 'DEBIT' | 'CREDIT' => (reverse ? flip(d) : d);
  const legs: Leg[] = [];
  for (const inv of invoices) {
    const reference = customerReference(inv.customerId, inv.invoiceId);
    legs.push({ key: 'receivables', direction: dir('CREDIT'), amount: inv.amount, description: `${reverse ? 'Refund on' : 'Payment of'} invoice ${inv.label}`, reference });
    if (inv.fx === 0) continue;
    const gain = inv.fx > 0;
    const description = `${reverse ? 'Reversal of realized' : 'Realized'} FX ${gain ? 'gain' : 'loss'} on invoice ${inv.label}`;
    // The FX pair's receivables line belongs to the invoice too: it makes the invoice's base-currency receivable exact.
    legs.push({ key: 'receivables', direction: dir(gain ? 'DEBIT' : 'CREDIT'), amount: Math.abs(inv.fx), currency: money.baseCurrency, description, reference });
    legs.push({ key: 'fx_gain_loss', direction: dir(gain ? 'CREDIT' : 'DEBIT'), amount: Math.abs(inv.fx), currency: money.baseCurrency, description });
  }
  return legs;
}

function toEntry(legs: Leg[], money: Money, head: { date: string; memo: string; source: { type: string; id: string } }): PostEntryInput {
  const lines: PostingLineInput[] = legs
    .filter((l) => l.amount > 0)
    .map((l) => ({
      account: { key: l.key },
      direction: l.direction,
      amount: l.amount,
      ...(l.currency && l.currency !== money.currency ? { currency: l.currency } : {}),
      ...(l.description ? { description: l.description } : {}),
      ...(l.reference ? { reference: l.reference } : {}),
    }));
  return {
    date: head.date,
    currency: money.currency,
    memo: head.memo,
    lines,
    source: head.source,
    ...(money.exchangeRate !== null && money.currency !== money.baseCurrency ? { exchangeRate: money.exchangeRate } : {}),
  };
}

export interface ReceiptInput {
  paymentId: string;
  date: string;
  memo: string;
  deposit: 'bank' | 'payment_clearing';
  net: number;
  fees: number;
  invoices: InvoiceLeg[];
  /** Kept as customer credit. */
  credit: number;
  /** The payer, carried on the customer-credit line. */
  customerId?: string;
}

/** Completion: Dr deposit (net), Dr fees, Cr receivables per invoice, Cr customer credits (unapplied). */
export function receiptEntry(input: ReceiptInput, money: Money): PostEntryInput {
  const legs: Leg[] = [
    { key: input.deposit, direction: 'DEBIT', amount: input.net, description: 'Payment received' },
    { key: 'payment_fees', direction: 'DEBIT', amount: input.fees, description: 'Processing fees' },
    ...invoiceLegs(input.invoices, money),
    { key: 'customer_credits', direction: 'CREDIT', amount: input.credit, description: 'Unapplied payment kept as customer credit', reference: customerReference(input.customerId) },
  ];
  return toEntry(legs, money, { date: input.date, memo: input.memo, source: { type: 'payment', id: input.paymentId } });
}

export interface RefundInput {
  refundId: string;
  date: string;
  memo: string;
  /** Where the money goes out from: the deposit account, or disputed funds when a dispute is lost. */
  deposit: 'bank' | 'payment_clearing' | 'disputed_funds';
  /** Defaults to { type: 'refund', id: refundId }. */
  source?: { type: string; id: string };
  /** The description of the money-out line; defaults to 'Refund paid out'. */
  payout?: string;
  /** Taken back from invoices; `fx` as computed for the unapplication (see `fxDifference`). */
  invoices: InvoiceLeg[];
  credit: number;
  customerId?: string;
}

/** A refund is the receipt reversed, without the fees (processors keep them): Cr deposit, Dr receivables, Dr credits. */
export function refundEntry(input: RefundInput, money: Money): PostEntryInput {
  const total = input.credit + input.invoices.reduce((s, i) => s + i.amount, 0);
  const legs: Leg[] = [
    { key: input.deposit, direction: 'CREDIT', amount: total, description: input.payout ?? 'Refund paid out' },
    ...invoiceLegs(input.invoices, money, true),
    { key: 'customer_credits', direction: 'DEBIT', amount: input.credit, description: 'Customer credit refunded', reference: customerReference(input.customerId) },
  ];
  return toEntry(legs, money, { date: input.date, memo: input.memo, source: input.source ?? { type: 'refund', id: input.refundId } });
}

/** Applying customer credit to invoices: Dr customer credits, Cr receivables per invoice. */
export function creditApplicationEntry(input: { paymentId: string; date: string; memo: string; invoices: InvoiceLeg[] }, money: Money): PostEntryInput {
  const total = input.invoices.reduce((s, i) => s + i.amount, 0);
  const reference = customerReference(input.invoices[0]?.customerId);
  const legs: Leg[] = [{ key: 'customer_credits', direction: 'DEBIT', amount: total, description: 'Customer credit applied', reference }, ...invoiceLegs(input.invoices, money)];
  return toEntry(legs, money, { date: input.date, memo: input.memo, source: { type: 'payment', id: input.paymentId } });
}

/**
 * A dispute's withdrawal (`opened`: Dr disputed funds, Cr deposit) or, when it is won, the funds coming
 * back (Dr deposit, Cr disputed funds). A lost dispute is `refundEntry` paid out of disputed funds.
 */
export function disputeFundsEntry(input: { paymentId: string; date: string; memo: string; deposit: 'bank' | 'payment_clearing'; amount: number; opened: boolean }, money: Money): PostEntryInput {
  const into: 'DEBIT' | 'CREDIT' = input.opened ? 'CREDIT' : 'DEBIT';
  const legs: Leg[] = [
    { key: 'disputed_funds', direction: flip(into), amount: input.amount, description: input.opened ? 'Funds withdrawn by the processor for a dispute' : 'Disputed funds returned' },
    { key: input.deposit, direction: into, amount: input.amount, description: input.opened ? 'Dispute withdrawal' : 'Dispute won: funds returned' },
  ];
  return toEntry(legs, money, { date: input.date, memo: input.memo, source: { type: 'dispute', id: input.paymentId } });
}

/**
 * A payout reaching the bank: Dr bank (what arrived), Dr processing fees (the processor's charge for the
 * payout, if any), Cr payment clearing (both), emptying clearing of what the settled payments put there.
 */
export function payoutEntry(input: { payoutId: string; date: string; memo: string; amount: number; fees: number }, money: Money): PostEntryInput {
  const legs: Leg[] = [
    { key: 'bank', direction: 'DEBIT', amount: input.amount, description: 'Payout received' },
    { key: 'payment_fees', direction: 'DEBIT', amount: input.fees, description: 'Payout fee' },
    { key: 'payment_clearing', direction: 'CREDIT', amount: input.amount + input.fees, description: 'Paid out by the processor' },
  ];
  return toEntry(legs, money, { date: input.date, memo: input.memo, source: { type: 'payout', id: input.payoutId } });
}
