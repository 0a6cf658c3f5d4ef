import type { Knex } from 'knex';
import type { CurrencyCode } from '@uah/schemas';
import { subledgerAsOf } from './subledger.js';

type Db = Knex | Knex.Transaction;

/** What one bill is still owed at a date, from the payables lines that name it. */
export interface BillPayable {
  billId: string;
  vendorId: string | null;
  /** Credit minus debit in base-currency minor units: what the ledger owes on the bill (positive while owed). */
  baseBalance: number;
  /** Credit minus debit per line currency. */
  currencyBalances: Partial<Record<CurrencyCode, number>>;
}

/** The net of one journal entry's payables lines that name no bill (manual entries to AP), credit minus debit. */
export interface UnallocatedPayable {
  entryId: string;
  entryNumber: number;
  date: string;
  memo: string | null;
  baseBalance: number;
}

export interface PayablesAsOf {
  asOf: string;
  /** The organization's payables account (system key `payables`). */
  accountId: string | null;
  /** The account's credit balance at `asOf` (credit minus debit, base currency): bills plus unallocated. */
  balance: number;
  /** Bills with a non-zero balance, in bill id order (chronological). */
  bills: BillPayable[];
  unallocated: UnallocatedPayable[];
}

/**
 * The payables subledger as of a day, from the postings alone, the mirror of `receivablesAsOf`: the lines
 * of the payables account dated on or before `asOf`, summed per bill reference (and per line currency),
 * and the lines without a reference summed per entry. Every line of the account is counted exactly once,
 * so the total is the account's balance in the trial balance at that date.
 */
export async function payablesAsOf(db: Db, organizationId: string, asOf: string): Promise<PayablesAsOf> {
  const ledger = await subledgerAsOf(db, organizationId, asOf, { systemKey: 'payables', documentColumn: 'bill_id', partyColumn: 'vendor_id', normalSide: 'CREDIT' });
  return {
    asOf: ledger.asOf,
    accountId: ledger.accountId,
    balance: ledger.balance,
    bills: ledger.documents.map((d) => ({ billId: d.documentId, vendorId: d.partyId, baseBalance: d.baseBalance, currencyBalances: d.currencyBalances })),
    unallocated: ledger.unallocated,
  };
}
