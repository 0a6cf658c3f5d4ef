import { defineRoute, type Route } from '../http/route.js';
import type { BillPaymentService } from './bill-payment-service.js';
import type { BillService } from './bill-service.js';
import type { ExpenseService } from './expense-service.js';
import type { PurchaseOrderService } from './purchase-order-service.js';
import type { VendorService } from './vendor-service.js';

const org = '/v1/organizations/:orgId';
const LINES = 'Per line: amount = round(quantity × unitCost), tax = round(amount × rate), half away from zero to the minor unit; totals are sums of the rounded lines. A product that tracks inventory is debited to the inventory account and received into stock at its net amount (moving average).';

export interface PurchasingServices {
  vendors: VendorService;
  purchaseOrders: PurchaseOrderService;
  bills: BillService;
  billPayments: BillPaymentService;
  expenses: ExpenseService;
}

function vendorRoutes({ vendors }: PurchasingServices): Route[] {
  return [
    defineRoute({
      method: 'POST', path: `${org}/vendors`, operationId: 'createVendor', tag: 'Vendors', summary: 'Create a vendor',
      body: 'VendorCreate', response: { status: 201, schema: 'Vendor' },
      handler: ({ organizationId, body, actor }) => vendors.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/vendors`, operationId: 'listVendors', tag: 'Vendors', summary: 'List vendors',
      query: 'VendorListQuery', response: { status: 200, list: 'Vendor' },
      handler: ({ organizationId, query }) => vendors.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/vendors/:vendorId`, operationId: 'getVendor', tag: 'Vendors', summary: 'Get a vendor',
      response: { status: 200, schema: 'Vendor' },
      handler: ({ organizationId, params }) => vendors.get(organizationId, params['vendorId'] ?? ''),
    }),
  ];
}

function orderRoutes({ purchaseOrders }: PurchasingServices): Route[] {
  const po = `${org}/purchase-orders/:purchaseOrderId`;
  const id = (p: Record<string, string>) => p['purchaseOrderId'] ?? '';
  return [
    defineRoute({
      method: 'POST', path: `${org}/purchase-orders`, operationId: 'createPurchaseOrder', tag: 'Purchase orders', summary: 'Create a draft purchase order',
      description: `Numbered PO-00001, … per organization; posts nothing (its bills do). ${LINES}`,
      body: 'PurchaseOrderCreate', response: { status: 201, schema: 'PurchaseOrder' }, errors: [422],
      handler: ({ organizationId, body, actor }) => purchaseOrders.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/purchase-orders`, operationId: 'listPurchaseOrders', tag: 'Purchase orders', summary: 'List purchase orders',
      query: 'PurchaseOrderListQuery', response: { status: 200, list: 'PurchaseOrder' },
      handler: ({ organizationId, query }) => purchaseOrders.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: po, operationId: 'getPurchaseOrder', tag: 'Purchase orders', summary: 'Get a purchase order',
      response: { status: 200, schema: 'PurchaseOrder' },
      handler: ({ organizationId, params }) => purchaseOrders.get(organizationId, id(params)),
    }),
    defineRoute({
      method: 'POST', path: `${po}/send`, operationId: 'sendPurchaseOrder', tag: 'Purchase orders', summary: 'Mark a purchase order as sent',
      description: 'DRAFT → SENT; bills can then receive against it. 409 INVALID_STATE_TRANSITION otherwise.',
      response: { status: 200, schema: 'PurchaseOrder' }, errors: [409],
      handler: ({ organizationId, params }) => purchaseOrders.send(organizationId, id(params)),
    }),
    defineRoute({
      method: 'POST', path: `${po}/close`, operationId: 'closePurchaseOrder', tag: 'Purchase orders', summary: 'Close a purchase order',
      description: 'CLOSED: nothing more is received against it. 409 when already closed.',
      response: { status: 200, schema: 'PurchaseOrder' }, errors: [409],
      handler: ({ organizationId, params }) => purchaseOrders.close(organizationId, id(params)),
    }),
  ];
}

function billRoutes({ bills, billPayments, expenses }: PurchasingServices): Route[] {
  const bill = `${org}/bills/:billId`;
  return [
    defineRoute({
      method: 'POST', path: `${org}/bills`, operationId: 'createBill', tag: 'Bills', summary: 'Record a bill received',
      description: `Posts Dr each line's account and the tax accounts / Cr accounts payable (the payables line names the bill and vendor) on the bill date, receives tracked products into stock, and receives against the purchase order's lines (422 BILL_EXCEEDS_ORDER beyond them), in one transaction (bill.received). ${LINES} With ?dryRun=true a DocumentDryRun, nothing written.`,
      body: 'BillCreate', dryRun: true, response: { status: 201, schema: 'BillWriteResult' }, errors: [409, 422],
      handler: ({ organizationId, body, actor, dryRun }) => (dryRun ? bills.preview(organizationId, body, actor.eventMetadata) : bills.create(organizationId, body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'GET', path: `${org}/bills`, operationId: 'listBills', tag: 'Bills', summary: 'List bills',
      query: 'BillListQuery', response: { status: 200, list: 'Bill' },
      handler: ({ organizationId, query }) => bills.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: bill, operationId: 'getBill', tag: 'Bills', summary: 'Get a bill',
      response: { status: 200, schema: 'Bill' },
      handler: ({ organizationId, params }) => bills.get(organizationId, params['billId'] ?? ''),
    }),
    defineRoute({
      method: 'POST', path: `${bill}/pay`, operationId: 'payBill', tag: 'Bills', summary: 'Pay a bill',
      description: 'Posts Dr accounts payable (naming the bill and vendor) / Cr the account paid from (default: bank); the bill becomes PARTIALLY_PAID or PAID (bill.paid). 422 PAYMENT_EXCEEDS_BALANCE beyond its balance, 409 when already paid. With ?dryRun=true a DocumentDryRun, nothing written.',
      body: 'BillPay', dryRun: true, response: { status: 201, schema: 'BillPaymentWriteResult' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor, dryRun }) => (dryRun ? billPayments.preview(organizationId, params['billId'] ?? '', body, actor.eventMetadata) : billPayments.pay(organizationId, params['billId'] ?? '', body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'POST', path: `${org}/expenses`, operationId: 'createExpense', tag: 'Expenses', summary: 'Record a direct expense',
      description: 'Posts Dr the expense account (net) and the tax rate account (tax) / Cr the account paid from, in one transaction (expense.recorded). Tax = round(amount × rate), half away from zero. With ?dryRun=true a DocumentDryRun, nothing written.',
      body: 'ExpenseCreate', dryRun: true, response: { status: 201, schema: 'ExpenseWriteResult' }, errors: [422],
      handler: ({ organizationId, body, actor, dryRun }) => (dryRun ? expenses.preview(organizationId, body, actor.eventMetadata) : expenses.create(organizationId, body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'GET', path: `${org}/expenses`, operationId: 'listExpenses', tag: 'Expenses', summary: 'List expenses',
      query: 'ExpenseListQuery', response: { status: 200, list: 'Expense' },
      handler: ({ organizationId, query }) => expenses.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/expenses/:expenseId`, operationId: 'getExpense', tag: 'Expenses', summary: 'Get an expense',
      response: { status: 200, schema: 'Expense' },
      handler: ({ organizationId, params }) => expenses.get(organizationId, params['expenseId'] ?? ''),
    }),
  ];
}

export function createPurchasingRoutes(services: PurchasingServices): Route[] {
  return [...vendorRoutes(services), ...orderRoutes(services), ...billRoutes(services)];
}
