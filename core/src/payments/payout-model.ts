import type { CurrencyCode, PayoutItem, PayoutStatus } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class PayoutModel extends TenantModel {
  static override tableName = 'payouts';
  id!: string;
  connectorId!: string;
  providerReference!: string;
  status!: PayoutStatus;
  amount!: number;
  currency!: CurrencyCode;
  exchangeRate!: string | null;
  fees!: number;
  arrivalDate!: Date | string;
  paidAt!: Date | string | null;
  failureReason!: string | null;
  description!: string | null;
  journalEntryId!: string | null;
  metadata!: Record<string, string>;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class PayoutItemModel extends TenantModel {
  static override tableName = 'payout_items';
  id!: string;
  payoutId!: string;
  position!: number;
  kind!: PayoutItem['kind'];
  paymentId!: string | null;
  refundId!: string | null;
  amount!: number;
  providerReference!: string | null;
  createdAt!: Date;
}
