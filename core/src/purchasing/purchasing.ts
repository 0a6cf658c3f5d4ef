import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { ProductService } from '../catalog/product-service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import type { BillInventory } from '../inventory/service.js';
import type { Route } from '../http/route.js';
import { createBillPaymentService } from './bill-payment-service.js';
import { createBillService } from './bill-service.js';
import { createExpenseService } from './expense-service.js';
import { createPurchaseOrderService } from './purchase-order-service.js';
import { createPurchasingRoutes, type PurchasingServices } from './routes.js';
import { createVendorService } from './vendor-service.js';

export interface PurchasingDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  ledger: LedgerService;
  products: ProductService;
  taxRates: TaxRateService;
  inventory: BillInventory;
}

export type Purchasing = PurchasingServices & { routes: Route[] };

/** The purchasing context: vendors, purchase orders, bills and their payments, direct expenses. */
export function createPurchasing(deps: PurchasingDeps): Purchasing {
  const vendors = createVendorService(deps);
  const purchaseOrders = createPurchaseOrderService({ ...deps, vendors });
  const bills = createBillService({ ...deps, vendors, purchaseOrders });
  const billPayments = createBillPaymentService(deps);
  const expenses = createExpenseService({ ...deps, vendors });
  const services = { vendors, purchaseOrders, bills, billPayments, expenses };
  return { ...services, routes: createPurchasingRoutes(services) };
}
