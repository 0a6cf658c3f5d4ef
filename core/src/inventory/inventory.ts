import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { ProductService } from '../catalog/product-service.js';
import type { Route } from '../http/route.js';
import { createAdjustmentService, type AdjustmentService } from './adjustments.js';
import { createInventoryRoutes } from './routes.js';
import { createInventoryService, type InventoryService } from './service.js';

export interface Inventory {
  inventory: InventoryService;
  adjustments: AdjustmentService;
  routes: Route[];
}

/** The inventory context: stock per tracked product at moving-average cost, its adjustments and settings. */
export function createInventory(deps: { knex: Knex; events: EventStore; organizations: OrganizationService; ledger: LedgerService; products: ProductService }): Inventory {
  const inventory = createInventoryService(deps);
  const adjustments = createAdjustmentService(deps);
  return { inventory, adjustments, routes: createInventoryRoutes({ inventory, adjustments }) };
}
