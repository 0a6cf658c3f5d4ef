import type { AccountType, CurrencyCode, SystemAccountKey } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class AccountModel extends TenantModel {
  static override tableName = 'accounts';
  id!: string;
  code!: string;
  name!: string;
  type!: AccountType;
  currency!: CurrencyCode | null;
  systemKey!: SystemAccountKey | null;
  active!: boolean;
  description!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
  /** From account_balances (joined): debit minus credit in base currency, and per currency. */
  balance?: number | null;
  currencyBalances?: Record<string, number> | null;
}
