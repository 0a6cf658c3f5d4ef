import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { Route } from '../http/route.js';
import { createProductService, type ProductService } from './product-service.js';
import { createCatalogRoutes } from './routes.js';
import { createTaxRateService, type TaxRateService } from './tax-rate-service.js';

export interface Catalog {
  products: ProductService;
  taxRates: TaxRateService;
  routes: Route[];
}

/** The catalogue: products and tax rates. */
export function createCatalog(deps: { knex: Knex; events: EventStore; organizations: OrganizationService; ledger: LedgerService }): Catalog {
  const taxRates = createTaxRateService(deps);
  const products = createProductService({ ...deps, taxRates });
  return { products, taxRates, routes: createCatalogRoutes({ products, taxRates }) };
}
