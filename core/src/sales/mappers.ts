import type { CreditNote, Invoice, Quote } from '@uah/schemas';
import { timestampOrNull } from './dates.js';
import type { CreditNoteModel, InvoiceModel, QuoteModel } from './model.js';

const iso = (value: Date | string): string => new Date(value).toISOString();

export function toInvoice(row: InvoiceModel): Invoice {
  return {
    id: row.id,
    object: 'invoice',
    organizationId: row.organizationId,
    customerId: row.customerId,
    number: row.number,
    status: row.status,
    currency: row.currency,
    exchangeRate: row.exchangeRate,
    issueDate: row.issueDate,
    dueDate: row.dueDate,
    lines: row.lines,
    taxes: row.taxes,
    subtotal: row.subtotal,
    discountTotal: row.discountTotal,
    taxTotal: row.taxTotal,
    total: row.total,
    amountPaid: row.amountPaid,
    amountCredited: row.amountCredited,
    balance: row.balance,
    quoteId: row.quoteId,
    journalEntryId: row.journalEntryId,
    notes: row.notes,
    issuedAt: timestampOrNull(row.issuedAt),
    sentAt: timestampOrNull(row.sentAt),
    viewedAt: timestampOrNull(row.viewedAt),
    paidAt: timestampOrNull(row.paidAt),
    voidedAt: timestampOrNull(row.voidedAt),
    metadata: row.metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toQuote(row: QuoteModel): Quote {
  return {
    id: row.id,
    object: 'quote',
    organizationId: row.organizationId,
    customerId: row.customerId,
    number: row.number,
    status: row.status,
    currency: row.currency,
    issueDate: row.issueDate,
    validUntil: row.validUntil,
    lines: row.lines,
    taxes: row.taxes,
    subtotal: row.subtotal,
    discountTotal: row.discountTotal,
    taxTotal: row.taxTotal,
    total: row.total,
    notes: row.notes,
    invoiceId: row.invoiceId,
    sentAt: timestampOrNull(row.sentAt),
    viewedAt: timestampOrNull(row.viewedAt),
    acceptedAt: timestampOrNull(row.acceptedAt),
    rejectedAt: timestampOrNull(row.rejectedAt),
    expiredAt: timestampOrNull(row.expiredAt),
    metadata: row.metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toCreditNote(row: CreditNoteModel): CreditNote {
  return {
    id: row.id,
    object: 'credit_note',
    organizationId: row.organizationId,
    invoiceId: row.invoiceId,
    customerId: row.customerId,
    number: row.number,
    currency: row.currency,
    exchangeRate: row.exchangeRate,
    date: row.date,
    reason: row.reason,
    lines: row.lines,
    taxes: row.taxes,
    subtotal: row.subtotal,
    discountTotal: row.discountTotal,
    taxTotal: row.taxTotal,
    total: row.total,
    journalEntryId: row.journalEntryId,
    metadata: row.metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
