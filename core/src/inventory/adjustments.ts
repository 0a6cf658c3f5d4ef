import type { Knex } from 'knex';
import type { DocumentDryRun, EventMetadata, InventoryAdjustment, InventoryAdjustmentCreate, InventoryAdjustmentListQuery, Product } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { ProductService } from '../catalog/product-service.js';
import { TenantModel } from '../db/tenant-model.js';
import { dateOnly, todayUtc } from '../sales/dates.js';
import { averageMinor, formatQuantity, parseQuantity, valueAt } from './costing.js';
import { allowsNegativeStock, applyMoves, planMove } from './movements.js';
import { readStock } from './stock-store.js';

export class InventoryAdjustmentModel extends TenantModel {
  static override tableName = 'inventory_adjustments';
  id!: string;
  productId!: string;
  date!: string | Date;
  quantityChange!: string;
  reason!: InventoryAdjustment['reason'];
  note!: string | null;
  value!: number | string;
  quantityAfter!: string;
  journalEntryId!: string | null;
  createdAt!: Date;
}

export function toAdjustment(row: InventoryAdjustmentModel): InventoryAdjustment {
  return {
    id: row.id, object: 'inventory_adjustment', organizationId: row.organizationId, productId: row.productId, date: dateOnly(row.date),
    quantityChange: formatQuantity(parseQuantity(String(row.quantityChange))), reason: row.reason, note: row.note, value: Number(row.value),
    quantityAfter: formatQuantity(parseQuantity(String(row.quantityAfter))), journalEntryId: row.journalEntryId, createdAt: new Date(row.createdAt).toISOString(),
  };
}

export interface AdjustmentDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  ledger: Pick<LedgerService, 'post' | 'preview'>;
  products: Pick<ProductService, 'get'>;
}

export interface AdjustmentService {
  create(organizationId: string, input: InventoryAdjustmentCreate, meta: EventMetadata): Promise<InventoryAdjustment>;
  preview(organizationId: string, input: InventoryAdjustmentCreate, meta: EventMetadata): Promise<DocumentDryRun>;
  get(organizationId: string, id: string): Promise<InventoryAdjustment>;
  list(organizationId: string, query: InventoryAdjustmentListQuery): Promise<Page<InventoryAdjustment>>;
}

/** Up: Dr inventory / Cr inventory adjustments at the value; down: the other way round at the cost taken out. */
function adjustmentEntry(value: bigint, currency: string, date: string, id: string, product: Product, reason: string): PostEntryInput | null {
  if (value === 0n) return null;
  const amount = Number(value < 0n ? -value : value);
  const [debit, credit] = value > 0n ? (['inventory', 'inventory_adjustments'] as const) : (['inventory_adjustments', 'inventory'] as const);
  return {
    date, currency: currency as PostEntryInput['currency'], memo: `Inventory adjustment ${product.sku} (${reason})`, source: { type: 'inventory_adjustment', id },
    lines: [{ account: { key: debit }, direction: 'DEBIT', amount }, { account: { key: credit }, direction: 'CREDIT', amount }],
  };
}

export function createAdjustmentService(deps: AdjustmentDeps): AdjustmentService {
  const { knex } = deps;

  async function tracked(organizationId: string, input: InventoryAdjustmentCreate, trx: Knex.Transaction): Promise<Product> {
    const product = await deps.products.get(organizationId, input.productId, trx);
    if (!product.trackInventory) throw unprocessable(`Product ${product.sku} does not track inventory.`, [{ field: '/productId', in: 'body', message: 'product does not track inventory' }]);
    return product;
  }

  /** The value of an increase: the given unit cost, else the current average, else the product's unit cost. */
  async function receiptValue(trx: Knex.Transaction, organizationId: string, product: Product, quantity: bigint, unitCost: number | undefined): Promise<bigint> {
    const [row] = await readStock(trx, organizationId, [product.id]);
    const unit = unitCost !== undefined ? BigInt(unitCost) : row && row.averageCost > 0n ? averageMinor(row) : BigInt(product.unitCost ?? 0);
    return valueAt(quantity, unit);
  }

  return {
    async create(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const product = await tracked(organizationId, input, trx);
        const quantity = parseQuantity(input.quantityChange);
        const value = quantity > 0n ? await receiptValue(trx, organizationId, product, quantity, input.unitCost) : undefined;
        const id = newId('iadj');
        const date = input.date ?? todayUtc();
        const [moved] = await applyMoves(trx, deps, organizationId, { date, source: { type: 'adjustment', id }, moves: [{ product, quantity, ...(value !== undefined ? { value } : {}) }] }, meta);
        if (!moved) throw new Error('adjustment made no move');
        const entry = adjustmentEntry(moved.value, baseCurrency, date, id, product, input.reason);
        const journalEntry = entry ? await deps.ledger.post(trx, organizationId, entry, meta) : null;
        const row = await InventoryAdjustmentModel.forOrganization(organizationId, trx).insertAndFetch({
          id, organizationId, productId: product.id, date, quantityChange: formatQuantity(quantity), reason: input.reason, note: input.note ?? null,
          value: String(moved.value), quantityAfter: formatQuantity(moved.quantityAfter), journalEntryId: journalEntry?.id ?? null,
        } as Partial<InventoryAdjustmentModel>);
        const adjustment = toAdjustment(row);
        await deps.events.append(trx, [{ type: 'inventory.adjusted', aggregateType: 'inventory_adjustment', aggregateId: id, organizationId, data: { object: adjustment } }], meta);
        return adjustment;
      });
    },

    async preview(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const product = await tracked(organizationId, input, trx);
        const quantity = parseQuantity(input.quantityChange);
        const value = quantity > 0n ? await receiptValue(trx, organizationId, product, quantity, input.unitCost) : undefined;
        const [row] = await readStock(trx, organizationId, [product.id]);
        const current = row ?? { productId: product.id, quantity: 0n, value: 0n, averageCost: 0n, low: false, updatedAt: new Date() };
        const planned = planMove(current, { product, quantity, ...(value !== undefined ? { value } : {}) }, await allowsNegativeStock(trx, organizationId));
        const id = newId('iadj');
        const date = input.date ?? todayUtc();
        const entry = adjustmentEntry(planned.value, baseCurrency, date, id, product, input.reason);
        const adjustment: InventoryAdjustment = {
          id, object: 'inventory_adjustment', organizationId, productId: product.id, date, quantityChange: formatQuantity(quantity), reason: input.reason, note: input.note ?? null,
          value: Number(planned.value), quantityAfter: formatQuantity(planned.next.quantity), journalEntryId: null, createdAt: new Date().toISOString(),
        };
        return {
          object: 'dry_run', dryRun: true, document: adjustment,
          journalEntries: entry ? [await deps.ledger.preview(organizationId, entry, trx, meta)] : [],
          events: deps.events.preview([{ type: 'inventory.adjusted', aggregateType: 'inventory_adjustment', aggregateId: id, organizationId, data: { object: adjustment } }], meta),
        };
      });
    },

    async get(organizationId, id) {
      return toAdjustment(await InventoryAdjustmentModel.findInOrganization(organizationId, id, 'inventory adjustment', knex));
    },

    async list(organizationId, query) {
      const q = InventoryAdjustmentModel.forOrganization(organizationId, knex);
      if (query.productId) q.where('product_id', query.productId);
      return fetchPage(q, query, toAdjustment);
    },
  };
}
