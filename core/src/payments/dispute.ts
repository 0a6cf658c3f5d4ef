import type { Knex } from 'knex';
import type { EventMetadata, Payment, PaymentDisputeCreate, PaymentDisputeResolve } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import type { LedgerService } from '../ledger/service.js';
import type { InvoicesPort } from './allocation.js';
import { disputeFundsEntry, type Money } from './postings.js';
import { PaymentModel } from './model.js';
import { loadPayment, rowsToPayment, type PaymentRows } from './store.js';
import { today } from './inputs.js';
import { takeBackFromPayment } from './refund.js';

/**
 * Disputes (chargebacks). The processor withdraws the disputed amount at once, so opening a dispute moves
 * it from the deposit account to disputed funds (an asset: money the organization may get back). A won
 * dispute moves it back; a lost one takes it from the payment as a refund would (customer credit first,
 * then the invoices paid last, which reopen), paid out of disputed funds. A payment has one dispute.
 */
export interface DisputeContext {
  trx: Knex.Transaction;
  /** The payment, locked. */
  rows: PaymentRows;
  money: Money;
  meta: EventMetadata;
  ledger: Pick<LedgerService, 'post'>;
  invoices: InvoicesPort;
  record(type: 'payment.disputed' | 'payment.dispute_closed', payment: Payment, previousAttributes: Record<string, unknown>): Promise<void>;
}

/** COMPLETED → DISPUTED: Dr disputed funds, Cr the deposit account, for `input.amount` (default: all not refunded). */
export async function openDispute(ctx: DisputeContext, input: PaymentDisputeCreate): Promise<Payment> {
  const { trx, rows } = ctx;
  const { row } = rows;
  if (row.disputeStatus !== null) {
    throw new AppError('INVALID_STATE_TRANSITION', `Payment ${row.id} was disputed already (${row.disputeStatus}); a payment has one dispute.`);
  }
  const disputable = row.amount - row.amountRefunded;
  const amount = input.amount ?? disputable;
  if (amount > disputable) {
    throw new AppError('DISPUTE_EXCEEDS_DISPUTABLE', `${amount} is more than the ${disputable} not refunded on payment ${row.id}.`, { errors: [{ field: '/amount', in: 'body', message: `exceeds the disputable ${disputable}` }] });
  }
  const memo = `Dispute on payment ${row.reference ?? row.id} (${input.reason})`;
  const entry = disputeFundsEntry({ paymentId: row.id, date: today(), memo, deposit: row.depositAccount, amount, opened: true }, ctx.money);
  const journalEntry = await ctx.ledger.post(trx, row.organizationId, entry, ctx.meta);
  const now = new Date();
  await PaymentModel.forOrganization(row.organizationId, trx)
    .patch({
      status: 'DISPUTED',
      disputeAmount: amount,
      disputeReason: input.reason,
      disputeStatus: 'OPEN',
      disputeEvidenceDueBy: input.evidenceDueBy ?? null,
      disputeOpenedAt: now,
      disputeJournalEntryId: journalEntry.id,
      updatedAt: now,
      version: row.version + 1,
    } as Partial<PaymentModel>)
    .where('id', row.id);
  const payment = rowsToPayment(await loadPayment(trx, row.organizationId, row.id));
  await ctx.record('payment.disputed', payment, { status: row.status, dispute: null });
  return payment;
}

/** DISPUTED → COMPLETED (won, or lost with something left) or REFUNDED (lost, nothing left). */
export async function resolveDispute(ctx: DisputeContext, input: PaymentDisputeResolve): Promise<Payment> {
  const { trx, rows } = ctx;
  const { row } = rows;
  const before = rowsToPayment(rows);
  const amount = row.disputeAmount ?? 0;
  const date = input.date ?? today();
  const memo = `Dispute on payment ${row.reference ?? row.id} ${input.outcome === 'WON' ? 'won' : 'lost'}`;
  let journalEntryId: string;
  let reopen: Array<{ invoiceId: string; amount: number }> = [];
  if (input.outcome === 'WON') {
    const entry = disputeFundsEntry({ paymentId: row.id, date, memo, deposit: row.depositAccount, amount, opened: false }, ctx.money);
    journalEntryId = (await ctx.ledger.post(trx, row.organizationId, entry, ctx.meta)).id;
  } else {
    const taken = await takeBackFromPayment(ctx, amount, { refundId: row.id, date, memo, deposit: 'disputed_funds', source: { type: 'dispute', id: row.id }, payout: 'Dispute lost: funds kept by the payer' });
    journalEntryId = taken.journalEntryId;
    reopen = taken.invoiceParts;
  }
  const nothingLeft = input.outcome === 'LOST' && row.amountRefunded + amount === row.amount;
  const now = new Date();
  await PaymentModel.forOrganization(row.organizationId, trx)
    .patch({ status: nothingLeft ? 'REFUNDED' : 'COMPLETED', disputeStatus: input.outcome, disputeResolvedAt: now, disputeResolutionJournalEntryId: journalEntryId, updatedAt: now, version: row.version + 1 } as Partial<PaymentModel>)
    .where('id', row.id);
  const payment = rowsToPayment(await loadPayment(trx, row.organizationId, row.id));
  await ctx.record('payment.dispute_closed', payment, { status: before.status, dispute: before.dispute, appliedAmount: before.appliedAmount, unappliedAmount: before.unappliedAmount });
  for (const part of reopen) await ctx.invoices.unapplyPayment(trx, row.organizationId, part.invoiceId, part.amount, ctx.meta);
  return payment;
}
