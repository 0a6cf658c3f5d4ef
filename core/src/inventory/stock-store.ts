import type { Knex } from 'knex';
import type { StockLevel } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { formatAverage, formatQuantity, parseAverage, parseQuantity, type Stock } from './costing.js';

type Db = Knex | Knex.Transaction;

export interface StockRow extends Stock {
  productId: string;
  /** inventory.stock_low was emitted and the stock has not risen above the reorder point since. */
  low: boolean;
  updatedAt: Date;
}

interface RawRow {
  product_id: string;
  quantity: string | number;
  value: string | number;
  average_cost: string | number;
  low: boolean;
  updated_at: Date | string;
}

const toRow = (r: RawRow): StockRow => ({
  productId: r.product_id,
  quantity: parseQuantity(String(r.quantity)),
  value: BigInt(r.value),
  averageCost: parseAverage(String(r.average_cost)),
  low: r.low,
  updatedAt: new Date(r.updated_at),
});

/**
 * Locks the stock rows of these products (creating empty ones), in product-id order so that concurrent
 * documents touching the same products never deadlock. Everything that changes stock goes through here.
 */
export async function lockStock(trx: Knex.Transaction, organizationId: string, productIds: string[]): Promise<Map<string, StockRow>> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return new Map();
  await trx.raw(
    `INSERT INTO stock_levels (organization_id, product_id) SELECT ?, p FROM unnest(?::text[]) AS p ORDER BY p ON CONFLICT DO NOTHING`,
    [organizationId, ids],
  );
  const rows = await trx.raw<{ rows: RawRow[] }>(
    `SELECT product_id, quantity::text AS quantity, value, average_cost::text AS average_cost, low, updated_at
       FROM stock_levels WHERE organization_id = ? AND product_id = ANY(?::text[]) ORDER BY product_id FOR UPDATE`,
    [organizationId, ids],
  );
  return new Map(rows.rows.map((r) => [r.product_id, toRow(r)]));
}

/** The stock rows of these products as they are (no lock; products that never moved are left out). */
export async function readStock(db: Db, organizationId: string, productIds?: string[]): Promise<StockRow[]> {
  const rows = await db.raw<{ rows: RawRow[] }>(
    `SELECT product_id, quantity::text AS quantity, value, average_cost::text AS average_cost, low, updated_at
       FROM stock_levels WHERE organization_id = ? ${productIds ? 'AND product_id = ANY(?::text[])' : ''} ORDER BY product_id`,
    productIds ? [organizationId, productIds] : [organizationId],
  );
  return rows.rows.map(toRow);
}

export interface Movement {
  productId: string;
  date: string;
  /** Signed, scaled by 10^4: positive into stock. */
  quantity: bigint;
  /** Signed change of value, minor units. */
  value: bigint;
  source: { type: 'bill' | 'invoice' | 'invoice_void' | 'adjustment'; id: string };
}

/** Writes the new stock of a product and the movement that made it, in the caller's transaction. */
export async function saveMovement(trx: Knex.Transaction, organizationId: string, movement: Movement, next: StockRow): Promise<void> {
  await trx('stock_levels').where({ organization_id: organizationId, product_id: movement.productId }).update({
    quantity: formatQuantity(next.quantity), value: String(next.value), average_cost: formatAverage(next.averageCost), low: next.low, updated_at: trx.fn.now(),
  });
  await trx('inventory_movements').insert({
    id: newId('imv'), organization_id: organizationId, product_id: movement.productId, date: movement.date,
    quantity: formatQuantity(movement.quantity), value: String(movement.value), source_type: movement.source.type, source_id: movement.source.id,
  });
}

/** The movements one document made (to undo them: a voided invoice puts its goods back). */
export async function movementsOf(trx: Knex.Transaction, organizationId: string, source: Movement['source']): Promise<Array<Pick<Movement, 'productId' | 'quantity' | 'value'>>> {
  const rows = await trx.raw<{ rows: Array<{ product_id: string; quantity: string; value: string | number }> }>(
    'SELECT product_id, quantity::text AS quantity, value FROM inventory_movements WHERE organization_id = ? AND source_type = ? AND source_id = ? ORDER BY id',
    [organizationId, source.type, source.id],
  );
  return rows.rows.map((r) => ({ productId: r.product_id, quantity: parseQuantity(r.quantity), value: BigInt(r.value) }));
}

export function toStockLevel(row: StockRow | undefined, product: { id: string; sku: string; name: string; reorderPoint: string | null }): StockLevel {
  const quantity = row?.quantity ?? 0n;
  const reorder = product.reorderPoint === null ? null : parseQuantity(product.reorderPoint);
  return {
    object: 'stock_level',
    productId: product.id,
    sku: product.sku,
    name: product.name,
    quantityOnHand: formatQuantity(quantity),
    value: Number(row?.value ?? 0n),
    averageUnitCost: formatAverage(row?.averageCost ?? 0n),
    reorderPoint: product.reorderPoint,
    belowReorderPoint: reorder !== null && quantity <= reorder,
    updatedAt: (row?.updatedAt ?? new Date(0)).toISOString(),
  };
}
