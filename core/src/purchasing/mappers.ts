import type { Bill, BillPayment, Expense, PurchaseOrder, Vendor } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import { dateOnly, timestampOrNull } from '../sales/dates.js';
import type { BillModel, BillPaymentModel, ExpenseModel, PurchaseOrderModel, VendorModel } from './model.js';

const iso = (d: Date | string): string => new Date(d).toISOString();

export function toVendor(row: VendorModel): Vendor {
  return {
    id: row.id, object: 'vendor', organizationId: row.organizationId, name: row.name, email: row.email, phone: row.phone, taxNumber: row.taxNumber,
    currency: row.currency, paymentTermsDays: row.paymentTermsDays, address: row.address, status: row.status, metadata: row.metadata,
    createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toPurchaseOrder(row: PurchaseOrderModel): PurchaseOrder {
  return {
    id: row.id, object: 'purchase_order', organizationId: row.organizationId, number: row.number, vendorId: row.vendorId, status: row.status, currency: row.currency,
    orderDate: dateOnly(row.orderDate), expectedDate: row.expectedDate === null ? null : dateOnly(row.expectedDate), lines: row.lines,
    subtotal: Number(row.subtotal), taxTotal: Number(row.taxTotal), total: Number(row.total), notes: row.notes,
    sentAt: timestampOrNull(row.sentAt), closedAt: timestampOrNull(row.closedAt), metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toBill(row: BillModel): Bill {
  return {
    id: row.id, object: 'bill', organizationId: row.organizationId, vendorId: row.vendorId, purchaseOrderId: row.purchaseOrderId, vendorReference: row.vendorReference,
    status: row.status, currency: row.currency, billDate: dateOnly(row.billDate), dueDate: dateOnly(row.dueDate), lines: row.lines,
    subtotal: Number(row.subtotal), taxTotal: Number(row.taxTotal), total: Number(row.total), amountPaid: Number(row.amountPaid), balance: Number(row.balance),
    journalEntryId: row.journalEntryId, paidAt: timestampOrNull(row.paidAt), metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toBillPayment(row: BillPaymentModel, bill: Bill): BillPayment {
  return {
    id: row.id, object: 'bill_payment', organizationId: row.organizationId, billId: row.billId, vendorId: row.vendorId, amount: Number(row.amount), currency: row.currency,
    date: dateOnly(row.date), paidFromAccountId: row.paidFromAccountId, reference: row.reference, journalEntryId: row.journalEntryId, bill, createdAt: iso(row.createdAt),
  };
}

export function toExpense(row: ExpenseModel): Expense {
  return {
    id: row.id, object: 'expense', organizationId: row.organizationId, vendorId: row.vendorId, date: dateOnly(row.date), description: row.description,
    accountId: row.accountId, paidFromAccountId: row.paidFromAccountId, currency: row.currency, amount: Number(row.amount), taxRateId: row.taxRateId,
    taxAmount: Number(row.taxAmount), total: Number(row.total), reference: row.reference, journalEntryId: row.journalEntryId, metadata: row.metadata,
    createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function invalidTransition(what: string, status: string, allowed: string[]): AppError {
  return new AppError('INVALID_STATE_TRANSITION', `A ${status} ${what} cannot be changed this way; only ${allowed.join(', ')} ${what}s can.`);
}
