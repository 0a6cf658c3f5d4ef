import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, InventorySettings, JournalEntry, Product, StockLevel, StockLevelListQuery } from '@uah/schemas';
import type { Page } from '../http/paging.js';
import { unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput } from '../ledger/service.js';
import type { ProductService } from '../catalog/product-service.js';
import { parseQuantity } from './costing.js';
import { allowsNegativeStock, applyMoves, planMove, type MoveRequest } from './movements.js';
import { movementsOf, readStock, toStockLevel } from './stock-store.js';

/** A product line of a document that may move stock: only products that track inventory do. */
export interface StockLine {
  productId: string | null;
  quantity: string;
}

export interface InventoryDeps {
  knex: Knex;
  events: EventStore;
  ledger: Pick<LedgerService, 'post'>;
  products: Pick<ProductService, 'get' | 'list'>;
}

/** What the sales context needs to keep stock in step with invoices (in the invoice's transaction). */
export interface InvoiceInventory {
  /** Takes the invoice's tracked goods out of stock and posts Dr cost of goods sold / Cr inventory at their moving-average cost. */
  issueForInvoice(trx: Knex.Transaction, organizationId: string, invoice: { id: string; number: string; date: string; baseCurrency: CurrencyCode; lines: StockLine[] }, meta: EventMetadata): Promise<JournalEntry | null>;
  /** What `issueForInvoice` would post (the cost entry), checking the stock the same way; writes nothing. */
  previewIssueForInvoice(trx: Knex.Transaction, organizationId: string, invoice: { id: string; number: string; date: string; baseCurrency: CurrencyCode; lines: StockLine[] }): Promise<PostEntryInput | null>;
  /** Puts back what a voided invoice took out, at the cost it was taken out at (the void reverses the cost entry). */
  restoreForInvoice(trx: Knex.Transaction, organizationId: string, invoiceId: string, date: string, meta: EventMetadata): Promise<void>;
}

/** What the purchasing context needs: a bill's tracked lines received into stock at their cost. */
export interface BillInventory {
  receiveForBill(trx: Knex.Transaction, organizationId: string, bill: { id: string; date: string; lines: Array<{ product: Product; quantity: string; value: number }> }, meta: EventMetadata): Promise<void>;
}

export interface InventoryService extends InvoiceInventory, BillInventory {
  stockLevel(organizationId: string, productId: string): Promise<StockLevel>;
  listStockLevels(organizationId: string, query: StockLevelListQuery): Promise<Page<StockLevel>>;
  getSettings(organizationId: string): Promise<InventorySettings>;
  updateSettings(organizationId: string, input: { allowNegativeStock: boolean }): Promise<InventorySettings>;
}

export function createInventoryService(deps: InventoryDeps): InventoryService {
  const { knex, products } = deps;

  /** The invoice's lines whose product tracks inventory, as moves out of stock. */
  async function invoiceMoves(trx: Knex.Transaction, organizationId: string, lines: StockLine[]): Promise<MoveRequest[]> {
    const moves: MoveRequest[] = [];
    const cache = new Map<string, Product>();
    for (const line of lines) {
      if (line.productId === null) continue;
      const product = cache.get(line.productId) ?? (await products.get(organizationId, line.productId, trx));
      cache.set(product.id, product);
      if (product.trackInventory) moves.push({ product, quantity: -parseQuantity(line.quantity) });
    }
    return moves;
  }

  /** Dr cost of goods sold / Cr inventory; source `invoice`, so voiding the invoice reverses it with the others it posted. */
  const costEntry = (invoice: { id: string; number: string; date: string; baseCurrency: CurrencyCode }, cost: number): PostEntryInput | null =>
    cost === 0 ? null : {
      date: invoice.date,
      currency: invoice.baseCurrency,
      memo: `Cost of goods sold, invoice ${invoice.number}`,
      source: { type: 'invoice', id: invoice.id },
      lines: [
        { account: { key: 'cost_of_goods_sold' }, direction: 'DEBIT', amount: cost },
        { account: { key: 'inventory' }, direction: 'CREDIT', amount: cost },
      ],
    };

  return {
    async issueForInvoice(trx, organizationId, invoice, meta) {
      const moves = await invoiceMoves(trx, organizationId, invoice.lines);
      if (moves.length === 0) return null;
      const results = await applyMoves(trx, deps, organizationId, { date: invoice.date, source: { type: 'invoice', id: invoice.id }, moves }, meta);
      const entry = costEntry(invoice, Number(results.reduce((sum, r) => sum - r.value, 0n)));
      return entry ? deps.ledger.post(trx, organizationId, entry, meta) : null;
    },

    async previewIssueForInvoice(trx, organizationId, invoice) {
      const moves = await invoiceMoves(trx, organizationId, invoice.lines);
      if (moves.length === 0) return null;
      const rows = new Map((await readStock(trx, organizationId, moves.map((m) => m.product.id))).map((r) => [r.productId, r]));
      const allowNegative = await allowsNegativeStock(trx, organizationId);
      let cost = 0n;
      for (const move of moves) {
        const row = rows.get(move.product.id) ?? { productId: move.product.id, quantity: 0n, value: 0n, averageCost: 0n, low: false, updatedAt: new Date() };
        const { next, value } = planMove(row, move, allowNegative);
        rows.set(move.product.id, next);
        cost -= value;
      }
      return costEntry(invoice, Number(cost));
    },

    async restoreForInvoice(trx, organizationId, invoiceId, date, meta) {
      const taken = await movementsOf(trx, organizationId, { type: 'invoice', id: invoiceId });
      if (taken.length === 0) return;
      const moves: MoveRequest[] = [];
      for (const m of taken) moves.push({ product: await products.get(organizationId, m.productId, trx), quantity: -m.quantity, value: -m.value });
      await applyMoves(trx, deps, organizationId, { date, source: { type: 'invoice_void', id: invoiceId }, moves }, meta);
    },

    async receiveForBill(trx, organizationId, bill, meta) {
      const moves = bill.lines.map((l) => ({ product: l.product, quantity: parseQuantity(l.quantity), value: BigInt(l.value) }));
      if (moves.length > 0) await applyMoves(trx, deps, organizationId, { date: bill.date, source: { type: 'bill', id: bill.id }, moves }, meta);
    },

    async stockLevel(organizationId, productId) {
      const product = await products.get(organizationId, productId);
      if (!product.trackInventory) throw unprocessable(`Product ${product.sku} does not track inventory.`);
      const [row] = await readStock(knex, organizationId, [productId]);
      return toStockLevel(row, product);
    },

    async listStockLevels(organizationId, query) {
      const page = await products.list(organizationId, { ...query, trackInventory: true });
      const rows = new Map((await readStock(knex, organizationId, page.data.map((p) => p.id))).map((r) => [r.productId, r]));
      return { data: page.data.map((p) => toStockLevel(rows.get(p.id), p)), nextCursor: page.nextCursor };
    },

    async getSettings(organizationId) {
      return { object: 'inventory_settings', allowNegativeStock: await allowsNegativeStock(knex, organizationId) };
    },

    async updateSettings(organizationId, input) {
      await knex('inventory_settings').insert({ organization_id: organizationId, allow_negative_stock: input.allowNegativeStock })
        .onConflict('organization_id').merge({ allow_negative_stock: input.allowNegativeStock, updated_at: knex.fn.now() });
      return { object: 'inventory_settings', allowNegativeStock: input.allowNegativeStock };
    },
  };
}
