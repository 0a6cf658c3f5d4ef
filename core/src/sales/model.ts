import type { Pojo } from 'objection';
import type { CurrencyCode, Invoice, Quote, SalesLine, SalesTaxSummary } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';
import { dateOnly } from './dates.js';

/** Reads `date` columns back as `YYYY-MM-DD` strings, whichever driver returned them. */
function parseDates(json: Pojo, columns: readonly string[]): Pojo {
  for (const column of columns) {
    const value: unknown = json[column];
    if (value instanceof Date || typeof value === 'string') json[column] = dateOnly(value);
  }
  return json;
}

/** The figures every sales document carries. */
abstract class SalesDocumentModel extends TenantModel {
  // Arrays are only stored as jsonb when named here (objection would send them as PostgreSQL arrays).
  static override jsonAttributes = ['lines', 'taxes', 'metadata'];
  id!: string;
  customerId!: string;
  currency!: CurrencyCode;
  lines!: SalesLine[];
  taxes!: SalesTaxSummary[];
  subtotal!: number;
  discountTotal!: number;
  taxTotal!: number;
  total!: number;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class QuoteModel extends SalesDocumentModel {
  static override tableName = 'quotes';
  number!: string;
  status!: Quote['status'];
  issueDate!: string;
  validUntil!: string;
  notes!: string | null;
  invoiceId!: string | null;
  sentAt!: Date | null;
  viewedAt!: Date | null;
  acceptedAt!: Date | null;
  rejectedAt!: Date | null;
  expiredAt!: Date | null;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['issueDate', 'validUntil']);
  }
}

export class InvoiceModel extends SalesDocumentModel {
  static override tableName = 'invoices';
  number!: string | null;
  status!: Invoice['status'];
  exchangeRate!: string | null;
  issueDate!: string;
  dueDate!: string;
  amountPaid!: number;
  amountCredited!: number;
  balance!: number;
  quoteId!: string | null;
  journalEntryId!: string | null;
  notes!: string | null;
  issuedAt!: Date | null;
  sentAt!: Date | null;
  viewedAt!: Date | null;
  paidAt!: Date | null;
  voidedAt!: Date | null;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['issueDate', 'dueDate']);
  }
}

export class CreditNoteModel extends SalesDocumentModel {
  static override tableName = 'credit_notes';
  invoiceId!: string;
  number!: string;
  exchangeRate!: string | null;
  date!: string;
  reason!: string | null;
  journalEntryId!: string | null;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['date']);
  }
}

export class InvoiceSettingsModel extends TenantModel {
  static override tableName = 'invoice_settings';
  static override idColumn = 'organizationId';
  prefix!: string;
  nextNumber!: number;
  creditNotePrefix!: string;
  nextCreditNoteNumber!: number;
  quotePrefix!: string;
  nextQuoteNumber!: number;
  numberDigits!: number;
  paymentTermsDays!: number;
  updatedAt!: Date | null;
}
