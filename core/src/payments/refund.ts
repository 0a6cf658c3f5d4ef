import type { Knex } from 'knex';
import type { EventMetadata, Payment, PaymentRefundCreate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError } from '../http/errors.js';
import type { LedgerService } from '../ledger/service.js';
import { invoiceLegsFor, lockInvoicesFor, splitRefund, type InvoicesPort } from './allocation.js';
import { refundEntry, type Money, type RefundInput } from './postings.js';
import { lostInDispute, PaymentApplicationModel, PaymentModel, PaymentRefundModel } from './model.js';
import { loadPayment, rowsToPayment, type PaymentRows } from './store.js';
import { today } from './inputs.js';

export interface RefundContext {
  trx: Knex.Transaction;
  /** The payment, locked, COMPLETED. */
  rows: PaymentRows;
  money: Money;
  input: PaymentRefundCreate;
  meta: EventMetadata;
  ledger: Pick<LedgerService, 'post'>;
  invoices: InvoicesPort;
  record(payment: Payment, previousAttributes: Record<string, unknown>): Promise<void>;
}

export interface TakeBack {
  /** The split of the amount: customer credit, then applications latest first. */
  credit: number;
  invoiceParts: Array<{ invoiceId: string; amount: number }>;
  journalEntryId: string;
}

/**
 * Takes `amount` back from a (locked) payment, as a refund or a lost dispute does: the customer credit goes
 * first, then the applications, latest first. Posts Cr `entry.deposit`, Dr customer credits, Dr receivables
 * (with FX pairs for foreign currencies) and records what each application gave back. The caller then
 * reopens the invoices (`invoices.unapplyPayment` for each of `invoiceParts`) after its own event.
 */
export async function takeBackFromPayment(
  ctx: Omit<RefundContext, 'input' | 'record'>,
  amount: number,
  entry: Pick<RefundInput, 'refundId' | 'date' | 'memo' | 'deposit' | 'source' | 'payout'>,
): Promise<TakeBack> {
  const { trx, rows } = ctx;
  const { row } = rows;
  const organizationId = row.organizationId;
  const split = splitRefund(amount, rowsToPayment(rows).unappliedAmount, rows.applications);
  const byInvoice = new Map<string, number>();
  for (const part of split.applications) byInvoice.set(part.invoiceId, (byInvoice.get(part.invoiceId) ?? 0) + part.amount);
  const invoiceParts = [...byInvoice].map(([invoiceId, partAmount]) => ({ invoiceId, amount: partAmount })).sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1));

  // Lock the invoices (no balance check: money goes back onto them) to measure the receivable restored.
  const locked = await lockInvoicesFor(trx, ctx.invoices, organizationId, invoiceParts.map((p) => ({ ...p, amount: 0 })), { customerId: row.customerId, currency: row.currency });
  const posted = refundEntry({ ...entry, invoices: invoiceLegsFor(invoiceParts, locked, ctx.money, true), credit: split.credit, customerId: row.customerId }, ctx.money);
  const journalEntry = await ctx.ledger.post(trx, organizationId, posted, ctx.meta);
  for (const part of split.applications) {
    await PaymentApplicationModel.forOrganization(organizationId, trx).where('id', part.applicationId).increment('amountRefunded', part.amount);
  }
  return { credit: split.credit, invoiceParts, journalEntryId: journalEntry.id };
}

/**
 * Refunds (part of) a payment: the customer credit goes first, then the applications, latest first; the
 * invoices those come from reopen by that much (invoices.unapplyPayment). Posts Cr deposit account,
 * Dr customer credits, Dr receivables (with FX pairs for foreign currencies) in the same transaction.
 */
export async function refundPayment(ctx: RefundContext): Promise<Payment> {
  const { trx, rows, input } = ctx;
  const { row } = rows;
  const organizationId = row.organizationId;
  const before = rowsToPayment(rows);
  const lost = lostInDispute(row);
  const refundable = row.amount - row.amountRefunded - lost;
  const amount = input.amount ?? refundable;
  if (amount > refundable) {
    throw new AppError('REFUND_EXCEEDS_REFUNDABLE', `${amount} is more than the ${refundable} left to refund on payment ${row.id}.`, { errors: [{ field: '/amount', in: 'body', message: `exceeds the refundable ${refundable}` }] });
  }
  const refundId = newId('rfd');
  const date = input.date ?? today();
  const memo = `Refund of payment ${row.reference ?? row.id}${input.reason ? `: ${input.reason}` : ''}`;
  const taken = await takeBackFromPayment(ctx, amount, { refundId, date, memo, deposit: row.depositAccount });
  await PaymentRefundModel.forOrganization(organizationId, trx).insert({
    id: refundId,
    organizationId,
    paymentId: row.id,
    amount,
    creditAmount: taken.credit,
    invoices: JSON.stringify(taken.invoiceParts) as never,
    reason: input.reason ?? null,
    date,
    journalEntryId: taken.journalEntryId,
  } as Partial<PaymentRefundModel>);
  const refunded = row.amountRefunded + amount;
  await PaymentModel.forOrganization(organizationId, trx).patch({ amountRefunded: refunded, status: refunded + lost === row.amount ? 'REFUNDED' : row.status, updatedAt: new Date(), version: row.version + 1 } as Partial<PaymentModel>).where('id', row.id);
  const payment = rowsToPayment(await loadPayment(trx, organizationId, row.id));
  await ctx.record(payment, { status: before.status, amountRefunded: before.amountRefunded, unappliedAmount: before.unappliedAmount, appliedAmount: before.appliedAmount });
  for (const part of taken.invoiceParts) await ctx.invoices.unapplyPayment(trx, organizationId, part.invoiceId, part.amount, ctx.meta);
  return payment;
}
