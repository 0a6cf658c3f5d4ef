import type { AccountType, CurrencyCode, PostingDirection, SystemAccountKey } from '@uah/schemas';

export type { SystemAccountKey };

/** How a caller names an account: by id, by its role in the default chart, or by its code. */
export type AccountRef = { id: string } | { key: SystemAccountKey } | { code: string };

export interface PostingLineInput {
  account: AccountRef;
  direction: PostingDirection;
  /** > 0, minor units of the line's currency. */
  amount: number;
  /** The entry's currency (default) or the organization's base currency (FX adjustments). */
  currency?: CurrencyCode;
  description?: string;
  /**
   * The subledger this line belongs to: the invoice (and its customer) a receivables line settles or
   * charges, or the customer of a customer-credit line. The AR aging is built from these references.
   */
  reference?: LineReference;
}

/** Ids of the documents a journal line belongs to (`inv_…`, `cus_…`, `bill_…`, `ven_…`). */
export interface LineReference {
  invoiceId?: string;
  customerId?: string;
  /** The bill (and its vendor) a payables line charges or settles: the AP aging is built from these. */
  billId?: string;
  vendorId?: string;
}

export interface PostEntryInput {
  /** YYYY-MM-DD, after the lock date. */
  date: string;
  currency: CurrencyCode;
  memo?: string;
  lines: PostingLineInput[];
  /** The document that posts the entry: 'manual' | 'invoice' | 'credit_note' | 'payment' | 'refund' | ... */
  source?: { type: string; id: string };
  /** Units of the organization's base currency per 1 unit of `currency`; required when `currency` is not the base. */
  exchangeRate?: string;
  metadata?: Record<string, string>;
}

/** An account as the posting path needs it. */
export interface LedgerAccount {
  id: string;
  code: string;
  name: string;
  type: AccountType;
  currency: CurrencyCode | null;
  systemKey: SystemAccountKey | null;
  active: boolean;
}

/** What the database says about the organization when an entry is prepared. */
export interface LedgerContext {
  baseCurrency: CurrencyCode;
  lockDate: string | null;
  entryNumberSequence: string;
  /** Bumped by the database on every change to the accounts or the lock date. */
  chartVersion: number;
  /** The organization's chart of accounts. */
  accounts: LedgerAccount[];
}

export interface PreparedLine {
  lineNo: number;
  account: LedgerAccount;
  direction: PostingDirection;
  amount: number;
  currency: CurrencyCode;
  baseAmount: number;
  description: string | null;
  invoiceId: string | null;
  customerId: string | null;
  billId: string | null;
  vendorId: string | null;
}

/** An entry that passed every check and has its base amounts: ready to write or to preview. */
export interface PreparedEntry {
  date: string;
  currency: CurrencyCode;
  exchangeRate: string | null;
  baseCurrency: CurrencyCode;
  memo: string | null;
  source: { type: string; id: string } | null;
  reversalOf: string | null;
  metadata: Record<string, string>;
  lines: PreparedLine[];
  totals: Array<{ currency: CurrencyCode; debit: number; credit: number }>;
  baseTotal: number;
}

/** The change one entry makes to one account's balance in one currency (debit minus credit). */
export interface BalanceDelta {
  accountId: string;
  accountCode: string;
  currency: CurrencyCode;
  amount: number;
}
