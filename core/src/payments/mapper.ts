import type { Payment } from '@uah/schemas';
import { lostInDispute, type PaymentApplicationModel, type PaymentModel, type PaymentRefundModel } from './model.js';

/**
 * A SQL `date` as YYYY-MM-DD. node-pg turns a date into a Date at local midnight (PGlite may give the
 * string), so the local calendar fields are the stored day.
 */
export function dateOnly(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

const iso = (value: Date | string): string => new Date(value).toISOString();

/** What of a payment settles invoices now: the applications made, less what was refunded from them. */
export function appliedOf(applications: PaymentApplicationModel[]): number {
  return applications.filter((a) => a.appliedAt !== null).reduce((sum, a) => sum + a.amount - a.amountRefunded, 0);
}

function toDispute(row: PaymentModel): Payment['dispute'] {
  if (row.disputeStatus === null || row.disputeAmount === null || row.disputeReason === null || row.disputeOpenedAt === null || row.disputeJournalEntryId === null) return null;
  return {
    amount: row.disputeAmount,
    reason: row.disputeReason,
    status: row.disputeStatus,
    evidenceDueBy: row.disputeEvidenceDueBy === null ? null : dateOnly(row.disputeEvidenceDueBy),
    openedAt: iso(row.disputeOpenedAt),
    resolvedAt: row.disputeResolvedAt === null ? null : iso(row.disputeResolvedAt),
    journalEntryId: row.disputeJournalEntryId,
    resolutionJournalEntryId: row.disputeResolutionJournalEntryId,
  };
}

export function toPayment(row: PaymentModel, applications: PaymentApplicationModel[], refunds: PaymentRefundModel[]): Payment {
  const applied = appliedOf(applications);
  const posted = row.journalEntryId !== null;
  return {
    id: row.id,
    object: 'payment',
    organizationId: row.organizationId,
    customerId: row.customerId,
    method: row.method,
    status: row.status,
    currency: row.currency,
    exchangeRate: row.exchangeRate,
    amount: row.amount,
    fees: row.fees,
    net: row.amount - row.fees,
    amountRefunded: row.amountRefunded,
    appliedAmount: applied,
    // Before the payment is posted nothing is credit yet; a FAILED payment never holds any.
    unappliedAmount: posted ? row.amount - row.amountRefunded - lostInDispute(row) - applied : 0,
    depositAccount: row.depositAccount,
    date: dateOnly(row.date),
    processedAt: row.processedAt === null ? null : iso(row.processedAt),
    reference: row.reference,
    description: row.description,
    failureReason: row.failureReason,
    journalEntryId: row.journalEntryId,
    applications: [...applications]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((a) => ({ invoiceId: a.invoiceId, amount: a.amount, amountRefunded: a.amountRefunded, appliedAt: a.appliedAt === null ? null : iso(a.appliedAt) })),
    refunds: [...refunds]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => ({ id: r.id, amount: r.amount, reason: r.reason, date: dateOnly(r.date), creditAmount: r.creditAmount, invoices: r.invoices, journalEntryId: r.journalEntryId, createdAt: iso(r.createdAt) })),
    dispute: toDispute(row),
    metadata: row.metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
