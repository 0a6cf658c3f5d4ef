import type { Address, Bill, CurrencyCode, PurchaseLine, PurchaseOrder } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class VendorModel extends TenantModel {
  static override tableName = 'vendors';
  id!: string;
  name!: string;
  email!: string | null;
  phone!: string | null;
  taxNumber!: string | null;
  currency!: CurrencyCode;
  paymentTermsDays!: number;
  address!: Address | null;
  status!: 'ACTIVE' | 'INACTIVE';
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

/** Purchase orders and bills keep their lines in a jsonb array (always read and written with the document). */
export class PurchaseOrderModel extends TenantModel {
  static override tableName = 'purchase_orders';
  static override jsonAttributes = ['lines', 'metadata'];
  id!: string;
  number!: string;
  vendorId!: string;
  status!: PurchaseOrder['status'];
  currency!: CurrencyCode;
  orderDate!: string | Date;
  expectedDate!: string | Date | null;
  lines!: PurchaseLine[];
  subtotal!: number;
  taxTotal!: number;
  total!: number;
  notes!: string | null;
  sentAt!: Date | null;
  closedAt!: Date | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class BillModel extends TenantModel {
  static override tableName = 'bills';
  static override jsonAttributes = ['lines', 'metadata'];
  id!: string;
  vendorId!: string;
  purchaseOrderId!: string | null;
  vendorReference!: string | null;
  status!: Bill['status'];
  currency!: CurrencyCode;
  billDate!: string | Date;
  dueDate!: string | Date;
  lines!: PurchaseLine[];
  subtotal!: number;
  taxTotal!: number;
  total!: number;
  amountPaid!: number;
  balance!: number;
  journalEntryId!: string | null;
  paidAt!: Date | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class BillPaymentModel extends TenantModel {
  static override tableName = 'bill_payments';
  id!: string;
  billId!: string;
  vendorId!: string;
  amount!: number;
  currency!: CurrencyCode;
  date!: string | Date;
  paidFromAccountId!: string;
  reference!: string | null;
  journalEntryId!: string | null;
  createdAt!: Date;
}

export class ExpenseModel extends TenantModel {
  static override tableName = 'expenses';
  id!: string;
  vendorId!: string | null;
  date!: string | Date;
  description!: string;
  accountId!: string;
  paidFromAccountId!: string;
  currency!: CurrencyCode;
  amount!: number;
  taxRateId!: string | null;
  taxAmount!: number;
  total!: number;
  reference!: string | null;
  journalEntryId!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}
