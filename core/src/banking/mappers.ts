import type { BankAccount, BankTransaction } from '@uah/schemas';
import type { BankAccountModel, BankTransactionModel } from './models.js';

const iso = (d: Date | string): string => new Date(d).toISOString();
/** A date column as YYYY-MM-DD whatever the driver returns (node-pg gives a local-midnight Date). */
export function dayOf(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const local = new Date(value.getTime() - value.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

export function toBankAccount(row: BankAccountModel): BankAccount {
  return {
    id: row.id, object: 'bank_account', organizationId: row.organizationId, name: row.name, ledgerAccountId: row.ledgerAccountId, currency: row.currency,
    accountNumber: row.accountNumber, bankName: row.bankName, status: row.status, metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

/** `paymentIds` of a line matched to a payout: that payout's payments (read by the caller through the payouts service). */
export function toBankTransaction(row: BankTransactionModel, payoutPayments: readonly string[] = []): BankTransaction {
  return {
    id: row.id, object: 'bank_transaction', organizationId: row.organizationId, bankAccountId: row.bankAccountId, importId: row.importId, sourceId: row.sourceId,
    date: dayOf(row.date), valueDate: row.valueDate ? dayOf(row.valueDate) : null, amount: Number(row.amount), currency: row.currency, direction: row.direction,
    description: row.description, counterparty: row.counterparty, reference: row.reference, type: row.type,
    runningBalance: row.runningBalance === null ? null : Number(row.runningBalance), status: row.status,
    match: (row.paymentId || row.billPaymentId || row.payoutId) && row.matchedAt && row.matchMethod
      ? { paymentId: row.paymentId, billPaymentId: row.billPaymentId, payoutId: row.payoutId, paymentIds: row.payoutId ? [...payoutPayments] : row.paymentId ? [row.paymentId] : [], method: row.matchMethod, confidence: row.matchConfidence, matchedAt: iso(row.matchedAt), transferEntryId: row.transferEntryId }
      : null,
    suggestions: row.status === 'MATCHED' || !Array.isArray(row.suggestions) ? [] : row.suggestions,
    createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}
