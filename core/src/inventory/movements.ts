import type { Knex } from 'knex';
import type { EventMetadata, Product } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import { formatQuantity, issue, parseQuantity, receive } from './costing.js';
import { lockStock, saveMovement, toStockLevel, type Movement, type StockRow } from './stock-store.js';

export type StockProduct = Pick<Product, 'id' | 'sku' | 'name' | 'reorderPoint' | 'unitCost'>;

/** One change to a product's stock: a receipt (quantity > 0) at `value`, or an issue (quantity < 0) costed at moving average. */
export interface MoveRequest {
  product: StockProduct;
  /** Signed, scaled by 10^4. */
  quantity: bigint;
  /** For a receipt: the cost it adds (minor units). An issue's value is computed. */
  value?: bigint;
}

export interface MoveResult {
  productId: string;
  /** Signed change of value: + for a receipt, − the cost for an issue. */
  value: bigint;
  quantityAfter: bigint;
}

/** Whether the organization lets stock go below zero (inventory_settings; off unless set). */
export async function allowsNegativeStock(db: Knex | Knex.Transaction, organizationId: string): Promise<boolean> {
  const result = await db.raw<{ rows: Array<{ allow: boolean }> }>('SELECT allow_negative_stock AS allow FROM inventory_settings WHERE organization_id = ?', [organizationId]);
  return result.rows[0]?.allow ?? false;
}

/** The next state of one stock row after one move; refuses to go below zero unless allowed. */
export function planMove(row: StockRow, move: MoveRequest, allowNegative: boolean): { next: StockRow; value: bigint } {
  let value: bigint;
  let next: StockRow;
  if (move.quantity > 0n) {
    value = move.value ?? 0n;
    next = { ...row, ...receive(row, move.quantity, value) };
  } else {
    const issued = issue(row, -move.quantity, BigInt(move.product.unitCost ?? 0));
    value = -issued.cost;
    next = { ...row, ...issued.stock };
  }
  if (!allowNegative && next.quantity < 0n) {
    throw new AppError('INSUFFICIENT_STOCK', `Product ${move.product.sku} has ${formatQuantity(row.quantity)} on hand; ${formatQuantity(-move.quantity)} cannot be taken out (negative stock is not allowed in this organization).`);
  }
  const reorder = move.product.reorderPoint === null ? null : parseQuantity(move.product.reorderPoint);
  next.low = reorder !== null && next.quantity <= reorder;
  return { next, value };
}

/**
 * Applies moves to the stock in the caller's transaction: locks the rows, computes each move at
 * moving-average cost, writes the new stock and a movement row per move, and emits inventory.stock_low
 * for a product whose stock falls to or below its reorder point when it was above it (once: the `low`
 * mark is kept until the stock rises above the point again, and commits with the move).
 */
export async function applyMoves(
  trx: Knex.Transaction,
  deps: { events: EventStore },
  organizationId: string,
  input: { date: string; source: Movement['source']; moves: MoveRequest[] },
  meta: EventMetadata,
): Promise<MoveResult[]> {
  const rows = await lockStock(trx, organizationId, input.moves.map((m) => m.product.id));
  const allowNegative = await allowsNegativeStock(trx, organizationId);
  const results: MoveResult[] = [];
  for (const move of input.moves) {
    const row = rows.get(move.product.id);
    if (!row) throw new Error(`stock row of ${move.product.id} was not locked`);
    const { next, value } = planMove(row, move, allowNegative);
    await saveMovement(trx, organizationId, { productId: move.product.id, date: input.date, quantity: move.quantity, value, source: input.source }, next);
    if (next.low && !row.low) {
      const level = toStockLevel({ ...next, updatedAt: new Date() }, move.product);
      await deps.events.append(trx, [{ type: 'inventory.stock_low', aggregateType: 'product', aggregateId: move.product.id, organizationId, data: { object: level } }], meta);
    }
    rows.set(move.product.id, next);
    results.push({ productId: move.product.id, value, quantityAfter: next.quantity });
  }
  return results;
}
