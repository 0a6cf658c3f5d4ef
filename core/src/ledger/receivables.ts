import type { Knex } from 'knex';
import type { CurrencyCode } from '@uah/schemas';
import { subledgerAsOf } from './subledger.js';

type Db = Knex | Knex.Transaction;

/** What one invoice still owes at a date, from the receivables lines that name it. */
export interface InvoiceReceivable {
  invoiceId: string;
  /** From the lines' reference (null only if no line named the customer). */
  customerId: string | null;
  /** Debit minus credit in base-currency minor units: what the ledger carries for the invoice. */
  baseBalance: number;
  /**
   * Debit minus credit per line currency. For an invoice in a foreign currency its own currency gives the
   * balance in the document's terms; the base-currency part is the realized FX adjustments.
   */
  currencyBalances: Partial<Record<CurrencyCode, number>>;
}

/** The net of one journal entry's receivables lines that name no invoice (manual entries to AR). */
export interface UnallocatedReceivable {
  entryId: string;
  entryNumber: number;
  date: string;
  memo: string | null;
  /** Debit minus credit, base-currency minor units. */
  baseBalance: number;
}

export interface ReceivablesAsOf {
  asOf: string;
  /** The organization's receivables account (system key `receivables`). */
  accountId: string | null;
  /** The account's balance at `asOf` (debit minus credit, base currency): invoices plus unallocated. */
  balance: number;
  /** Invoices with a non-zero balance (base or own currency), in invoice id order (chronological). */
  invoices: InvoiceReceivable[];
  /** Entries whose receivables lines name no invoice and do not net to zero, in posting order. */
  unallocated: UnallocatedReceivable[];
}

/**
 * The receivables subledger as of a day, from the postings alone: the lines of the receivables account
 * dated on or before `asOf`, summed per invoice reference (and per line currency), and the lines without
 * a reference summed per entry. Its total is the account's balance in the trial balance at that date, by
 * construction: every line of the account is counted exactly once.
 */
export async function receivablesAsOf(db: Db, organizationId: string, asOf: string): Promise<ReceivablesAsOf> {
  const ledger = await subledgerAsOf(db, organizationId, asOf, { systemKey: 'receivables', documentColumn: 'invoice_id', partyColumn: 'customer_id', normalSide: 'DEBIT' });
  return {
    asOf: ledger.asOf,
    accountId: ledger.accountId,
    balance: ledger.balance,
    invoices: ledger.documents.map((d) => ({ invoiceId: d.documentId, customerId: d.partyId, baseBalance: d.baseBalance, currencyBalances: d.currencyBalances })),
    unallocated: ledger.unallocated,
  };
}
