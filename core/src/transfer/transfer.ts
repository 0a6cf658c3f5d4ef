import type { Knex } from 'knex';
import { components } from '@uah/schemas';
import type { EventStore } from '../events/store.js';
import type { Route } from '../http/route.js';
import { createExportService, type ExportService } from './export.js';
import { createImportService, type ImportEntity, type ImportService, type ImportTarget } from './import.js';
import { createTransferRoutes } from './routes.js';
import { exportSources } from './sources.js';

type Services = Parameters<typeof exportSources>[0];

export interface Transfer {
  exports: ExportService;
  imports: ImportService;
  routes: Route[];
}

/** Import and export of an organization's data, through the services of the contexts that own it. */
export function createTransfer(deps: { knex: Knex; events: EventStore; services: Services }): Transfer {
  const { services: s } = deps;
  const targets: Record<ImportEntity, ImportTarget> = {
    customers: { schema: 'CustomerCreate', nested: ['billingAddress'], create: (org, body, meta) => s.customers.create(org, body, meta) },
    vendors: { schema: 'VendorCreate', nested: ['address'], integers: ['paymentTermsDays'], create: (org, body, meta) => s.purchasing.vendors.create(org, body, meta) },
    products: { schema: 'ProductCreate', integers: ['unitPrice', 'unitCost'], booleans: ['trackInventory'], create: (org, body, meta) => s.products.create(org, body, meta) },
  };
  const columnsOf = (schema: string): string[] => Object.keys((components[schema]?.['properties'] as Record<string, unknown> | undefined) ?? {});
  const exports = createExportService({ ...deps, sources: exportSources(s) });
  const imports = createImportService({ ...deps, targets, columnsOf });
  return { exports, imports, routes: createTransferRoutes({ exports, imports }) };
}
