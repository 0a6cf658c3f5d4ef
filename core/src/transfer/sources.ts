import type { ExportEntity } from '@uah/schemas';
import type { Page } from '../http/paging.js';
import type { CoreServices } from '../core.js';

/** One page of a kind of record, as its own context lists it (id or number order, keyset cursor). */
export type Lister = (organizationId: string, page: { limit: number; cursor?: string }) => Promise<Page<object>>;

export type ExportSources = Record<ExportEntity, Lister>;

type Services = Pick<CoreServices, 'ledger' | 'customers' | 'products' | 'taxRates' | 'quotes' | 'invoices' | 'creditNotes' | 'payments' | 'purchasing' | 'inventory'>;

/** Every kind of record an export holds, each read through the service of the context that owns it. */
export function exportSources(s: Services): ExportSources {
  return {
    accounts: (org, q) => s.ledger.accounts.list(org, q),
    customers: (org, q) => s.customers.list(org, q),
    vendors: (org, q) => s.purchasing.vendors.list(org, q),
    products: (org, q) => s.products.list(org, q),
    taxRates: (org, q) => s.taxRates.list(org, q),
    quotes: (org, q) => s.quotes.list(org, q),
    invoices: (org, q) => s.invoices.list(org, q),
    creditNotes: (org, q) => s.creditNotes.list(org, q),
    payments: (org, q) => s.payments.list(org, q),
    purchaseOrders: (org, q) => s.purchasing.purchaseOrders.list(org, q),
    bills: (org, q) => s.purchasing.bills.list(org, q),
    billPayments: (org, q) => s.purchasing.billPayments.list(org, q),
    expenses: (org, q) => s.purchasing.expenses.list(org, q),
    stockLevels: (org, q) => s.inventory.inventory.listStockLevels(org, q),
    inventoryAdjustments: (org, q) => s.inventory.adjustments.list(org, q),
    journal: (org, q) => s.ledger.listEntries(org, q),
  };
}
