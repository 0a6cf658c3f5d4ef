import type { CurrencyCode, PaymentDisputeReason, PaymentMethod, PaymentStatus } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class PaymentModel extends TenantModel {
  static override tableName = 'payments';
  id!: string;
  customerId!: string;
  method!: PaymentMethod;
  status!: PaymentStatus;
  currency!: CurrencyCode;
  exchangeRate!: string | null;
  amount!: number;
  fees!: number;
  amountRefunded!: number;
  depositAccount!: 'bank' | 'payment_clearing';
  date!: Date | string;
  processedAt!: Date | string | null;
  reference!: string | null;
  description!: string | null;
  failureReason!: string | null;
  journalEntryId!: string | null;
  metadata!: Record<string, string>;
  version!: number;
  disputeAmount!: number | null;
  disputeReason!: PaymentDisputeReason | null;
  disputeStatus!: 'OPEN' | 'WON' | 'LOST' | null;
  disputeEvidenceDueBy!: Date | string | null;
  disputeOpenedAt!: Date | string | null;
  disputeResolvedAt!: Date | string | null;
  disputeJournalEntryId!: string | null;
  disputeResolutionJournalEntryId!: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

/** What a lost dispute took back from the payment (it counts with the refunds against the amount). */
export function lostInDispute(row: Pick<PaymentModel, 'disputeStatus' | 'disputeAmount'>): number {
  return row.disputeStatus === 'LOST' ? (row.disputeAmount ?? 0) : 0;
}

export class PaymentApplicationModel extends TenantModel {
  static override tableName = 'payment_applications';
  id!: string;
  paymentId!: string;
  invoiceId!: string;
  amount!: number;
  amountRefunded!: number;
  /** Null while the payment is PENDING or PROCESSING: the application is requested, not yet made. */
  appliedAt!: Date | string | null;
  createdAt!: Date;
}

export interface RefundedInvoice {
  invoiceId: string;
  amount: number;
}

export class PaymentRefundModel extends TenantModel {
  static override tableName = 'payment_refunds';
  id!: string;
  paymentId!: string;
  amount!: number;
  creditAmount!: number;
  invoices!: RefundedInvoice[];
  reason!: string | null;
  date!: Date | string;
  journalEntryId!: string;
  createdAt!: Date;
}
