import { defineRoute, type Route } from '../http/route.js';
import type { AdjustmentService } from './adjustments.js';
import type { InventoryService } from './service.js';

const org = '/v1/organizations/:orgId';

const COSTING = 'Stock is valued at moving-average cost (see the StockLevel schema).';

export function createInventoryRoutes(deps: { inventory: InventoryService; adjustments: AdjustmentService }): Route[] {
  const { inventory, adjustments } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/inventory-adjustments`, operationId: 'createInventoryAdjustment', tag: 'Inventory', summary: 'Adjust stock with a reason',
      description: `Changes a tracked product's stock and posts the change at cost: an increase Dr inventory / Cr inventory adjustments at unitCost (default: the average unit cost), a decrease Dr inventory adjustments / Cr inventory at moving-average cost; inventory.adjusted, and inventory.stock_low when the stock falls to the reorder point. ${COSTING} 409 INSUFFICIENT_STOCK below zero unless the organization allows negative stock. With ?dryRun=true a DocumentDryRun, nothing written.`,
      body: 'InventoryAdjustmentCreate', dryRun: true, response: { status: 201, schema: 'InventoryAdjustmentWriteResult' }, errors: [409, 422],
      handler: ({ organizationId, body, actor, dryRun }) => (dryRun ? adjustments.preview(organizationId, body, actor.eventMetadata) : adjustments.create(organizationId, body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'GET', path: `${org}/inventory-adjustments`, operationId: 'listInventoryAdjustments', tag: 'Inventory', summary: 'List inventory adjustments',
      query: 'InventoryAdjustmentListQuery', response: { status: 200, list: 'InventoryAdjustment' },
      handler: ({ organizationId, query }) => adjustments.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/inventory-adjustments/:adjustmentId`, operationId: 'getInventoryAdjustment', tag: 'Inventory', summary: 'Get an inventory adjustment',
      response: { status: 200, schema: 'InventoryAdjustment' },
      handler: ({ organizationId, params }) => adjustments.get(organizationId, params['adjustmentId'] ?? ''),
    }),
    defineRoute({
      method: 'GET', path: `${org}/inventory`, operationId: 'listStockLevels', tag: 'Inventory', summary: 'Stock on hand of every tracked product',
      description: `One StockLevel per product with trackInventory, in product id order. ${COSTING}`,
      query: 'StockLevelListQuery', response: { status: 200, list: 'StockLevel' },
      handler: ({ organizationId, query }) => inventory.listStockLevels(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/inventory/:productId`, operationId: 'getStockLevel', tag: 'Inventory', summary: "A product's stock on hand",
      description: '422 for a product that does not track inventory.',
      response: { status: 200, schema: 'StockLevel' }, errors: [422],
      handler: ({ organizationId, params }) => inventory.stockLevel(organizationId, params['productId'] ?? ''),
    }),
    defineRoute({
      method: 'GET', path: `${org}/inventory-settings`, operationId: 'getInventorySettings', tag: 'Inventory', summary: 'Inventory settings',
      response: { status: 200, schema: 'InventorySettings' },
      handler: ({ organizationId }) => inventory.getSettings(organizationId),
    }),
    defineRoute({
      method: 'PUT', path: `${org}/inventory-settings`, operationId: 'updateInventorySettings', tag: 'Inventory', summary: 'Allow or forbid negative stock',
      body: 'InventorySettingsUpdate', response: { status: 200, schema: 'InventorySettings' },
      handler: ({ organizationId, body }) => inventory.updateSettings(organizationId, body),
    }),
  ];
}
