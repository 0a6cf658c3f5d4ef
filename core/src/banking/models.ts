import type { BankStatementImport, CurrencyCode } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';
import type { OpenItemKind } from './matching/matcher.js';

export class BankAccountModel extends TenantModel {
  static override tableName = 'bank_accounts';
  id!: string;
  name!: string;
  ledgerAccountId!: string;
  currency!: CurrencyCode;
  accountNumber!: string | null;
  accountKey!: string | null;
  bankName!: string | null;
  status!: 'ACTIVE' | 'INACTIVE';
  metadata!: Record<string, string>;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class BankImportModel extends TenantModel {
  static override tableName = 'bank_statement_imports';
  id!: string;
  bankAccountId!: string;
  format!: string;
  fileName!: string | null;
  fileSha256!: string;
  imported!: number;
  duplicates!: number;
  result!: BankStatementImport;
  createdAt!: Date;
}

export interface StoredSuggestion {
  kind: OpenItemKind;
  id: string;
  score: number;
  amount: number;
  currency: CurrencyCode;
  date: string;
  label: string;
}

export class BankTransactionModel extends TenantModel {
  static override tableName = 'bank_transactions';
  id!: string;
  bankAccountId!: string;
  importId!: string | null;
  sourceId!: string;
  date!: Date | string;
  valueDate!: Date | string | null;
  amount!: number | string;
  currency!: CurrencyCode;
  direction!: 'CREDIT' | 'DEBIT';
  description!: string;
  counterparty!: string | null;
  reference!: string | null;
  type!: string | null;
  runningBalance!: number | string | null;
  status!: 'UNMATCHED' | 'MATCHED';
  paymentId!: string | null;
  billPaymentId!: string | null;
  payoutId!: string | null;
  matchMethod!: 'AUTO' | 'MANUAL' | null;
  matchConfidence!: number | null;
  transferEntryId!: string | null;
  matchedAt!: Date | null;
  suggestions!: StoredSuggestion[];
  createdAt!: Date;
  updatedAt!: Date;
}

/** Letters and digits only, upper case: "CH03 0900 0000 2500 9034 2" and "ch0309000000250090342" are one account. */
export function accountKeyOf(accountNumber: string | null | undefined): string | null {
  const key = (accountNumber ?? '').normalize('NFKC').replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return key || null;
}
