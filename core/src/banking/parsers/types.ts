import type { CurrencyCode } from '@uah/schemas';

export type StatementFormat = 'OFX' | 'QFX' | 'CAMT053' | 'CSV' | 'FEED';

/** One line of a statement as read from a file, before it gets its source id. Amounts are signed minor units. */
export interface ParsedTransaction {
  /** The bank's own id for the line (FITID, AcctSvcrRef, NtryRef, a CSV id column), when it has one. */
  bankRef: string | null;
  date: string;
  valueDate: string | null;
  amount: number;
  currency: CurrencyCode;
  description: string;
  counterparty: string | null;
  reference: string | null;
  type: string | null;
  runningBalance: number | null;
}

export interface ParsedBalance {
  type: string;
  amount: number;
  currency: CurrencyCode;
  date: string | null;
}

export interface ParsedStatement {
  accountNumber: string | null;
  accountType: string | null;
  currency: CurrencyCode | null;
  from: string | null;
  to: string | null;
  balances: ParsedBalance[];
  transactions: ParsedTransaction[];
}

export interface ParsedFile {
  format: StatementFormat;
  formatVersion: string | null;
  encoding: string;
  statements: ParsedStatement[];
  /** Where the file departs from its format and how it was read anyway. */
  warnings: string[];
}

/** At most this many transactions in one file: a larger statement is split by period. */
export const MAX_TRANSACTIONS_PER_FILE = 20_000;
