import type { BankTransactionMatch } from '@uah/schemas';
import { AppError, unprocessable } from '../../http/errors.js';
import type { OpenItemKind } from './matcher.js';

/** What a manual match may name, by the body field that names it. */
export interface ManualTarget {
  field: keyof BankTransactionMatch;
  kinds: OpenItemKind[];
  direction: 'CREDIT' | 'DEBIT';
  /** "No open …" in a refusal. */
  what: string;
  /**
   * How the line's amount must compare with the item's: a payment is the line itself (`exact`); a bill is
   * paid the line's amount, a part of its balance or all of it (`at most`); an invoice takes the line's
   * amount, what exceeds its balance staying customer credit (`any`).
   */
  amount: 'exact' | 'at most' | 'any';
}

const TARGETS: ManualTarget[] = [
  { field: 'paymentId', kinds: ['PENDING_PAYMENT', 'PAYMENT'], direction: 'CREDIT', what: 'payment (pending, or completed into the bank and not reconciled)', amount: 'exact' },
  { field: 'invoiceId', kinds: ['INVOICE'], direction: 'CREDIT', what: 'invoice', amount: 'any' },
  { field: 'payoutId', kinds: ['PAYOUT'], direction: 'CREDIT', what: 'payout (PENDING, IN_TRANSIT or PAID)', amount: 'exact' },
  { field: 'billId', kinds: ['BILL'], direction: 'DEBIT', what: 'bill (OPEN or PARTIALLY_PAID)', amount: 'at most' },
  { field: 'billPaymentId', kinds: ['BILL_PAYMENT'], direction: 'DEBIT', what: 'bill payment', amount: 'exact' },
];

const named = (direction: 'CREDIT' | 'DEBIT'): string => TARGETS.filter((t) => t.direction === direction).map((t) => t.field).join(' or ');

/** The one item field of the body, checked against the line's direction (422 otherwise), and its id. */
export function manualTarget(input: BankTransactionMatch, line: { id: string; amount: number }): { target: ManualTarget; id: string } {
  const given = TARGETS.filter((t) => input[t.field] !== undefined);
  const [target] = given;
  if (!target || given.length > 1) throw unprocessable(`Name exactly one of ${TARGETS.map((t) => t.field).join(', ')}.`, [{ field: '', in: 'body', message: 'give exactly one item' }]);
  if (line.amount === 0) throw unprocessable(`Bank transaction ${line.id} is of zero amount: there is nothing to match.`);
  const direction = line.amount > 0 ? 'CREDIT' : 'DEBIT';
  if (target.direction !== direction) {
    throw unprocessable(`Bank transaction ${line.id} is a ${direction.toLowerCase()}: match it to a ${named(direction)}.`, [{ field: `/${target.field}`, in: 'body', message: `a ${direction.toLowerCase()} is matched by ${named(direction)}` }]);
  }
  return { target, id: input[target.field] ?? '' };
}

/** Refuses a line whose amount the item cannot take (422). */
export function checkAmount(target: ManualTarget, line: { amount: number }, item: { id: string; amount: number }): void {
  const amount = Math.abs(line.amount);
  const field = `/${target.field}`;
  if (target.amount === 'exact' && amount !== item.amount) {
    throw unprocessable(`The transaction is ${amount}, the ${target.field === 'billPaymentId' ? "bill payment's amount" : target.field === 'payoutId' ? "payout's amount" : "payment's net amount"} ${item.amount}.`, [{ field, in: 'body', message: 'amount differs' }]);
  }
  if (target.amount === 'at most' && amount > item.amount) {
    throw new AppError('PAYMENT_EXCEEDS_BALANCE', `The transaction pays ${amount}; bill ${item.id} has ${item.amount} left to pay.`, { errors: [{ field, in: 'body', message: 'the transaction is more than the balance' }] });
  }
}
