import type { Knex } from 'knex';
import { CheckViolationError, UniqueViolationError } from 'objection';
import type { EventMetadata, EventType, Product, ProductCreate, ProductListQuery, ProductUpdate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { formatDecimal, parseDecimal } from '../shared/money.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import { findAccount } from './accounts.js';
import type { OrganizationService } from '../auth/organization-service.js';
import { mergeMetadata } from '../customers/service.js';
import { changedAttributes } from './changes.js';
import { ProductModel } from './model.js';
import type { TaxRateService } from './tax-rate-service.js';

export interface ProductService {
  create(organizationId: string, input: ProductCreate, meta: EventMetadata): Promise<Product>;
  get(organizationId: string, id: string, trx?: Knex | Knex.Transaction): Promise<Product>;
  list(organizationId: string, query: ProductListQuery): Promise<Page<Product>>;
  update(organizationId: string, id: string, input: ProductUpdate, meta: EventMetadata): Promise<Product>;
  deactivate(organizationId: string, id: string, meta: EventMetadata): Promise<Product>;
  /** The products of these ids, all of this organization and active, else a 422 naming `field`. */
  requireActive(organizationId: string, ids: string[], trx: Knex | Knex.Transaction, field: (id: string) => string): Promise<Map<string, Product>>;
}

export function toProduct(row: ProductModel): Product {
  return {
    id: row.id,
    object: 'product',
    organizationId: row.organizationId,
    sku: row.sku,
    name: row.name,
    description: row.description,
    type: row.type,
    unitPrice: row.unitPrice,
    unitCost: row.unitCost,
    currency: row.currency,
    taxRateId: row.taxRateId,
    incomeAccountId: row.incomeAccountId,
    active: row.active,
    trackInventory: row.trackInventory,
    reorderPoint: row.reorderPoint === null ? null : formatDecimal(parseDecimal(String(row.reorderPoint), 4), 4),
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

const skuTaken = (sku: string): AppError =>
  new AppError('DUPLICATE_SKU', `A product with SKU ${sku} already exists in this organization.`, { errors: [{ field: '/sku', in: 'body', message: 'already used by another product' }] });

interface ProductDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  taxRates: TaxRateService;
  ledger: Pick<LedgerService, 'accounts'>;
}

export function createProductService(deps: ProductDeps): ProductService {
  const { knex, events, ledger, taxRates } = deps;

  async function checkReferences(organizationId: string, input: { taxRateId?: string | null; incomeAccountId?: string | null }, trx: Knex.Transaction): Promise<void> {
    if (input.taxRateId) await taxRates.requireActive(organizationId, [input.taxRateId], trx);
    if (input.incomeAccountId) {
      const account = await findAccount(ledger, organizationId, input.incomeAccountId, trx);
      if (!account || account.type !== 'REVENUE' || !account.active) {
        throw unprocessable(`Account ${input.incomeAccountId} is not an active revenue account of this organization.`, [{ field: '/incomeAccountId', in: 'body', message: 'must be an active REVENUE account of this organization' }]);
      }
    }
  }

  /** Stock is kept only of goods: the database refuses the rest too, this says why. */
  function checkTracking(type: Product['type'], trackInventory: boolean): void {
    if (trackInventory && type !== 'INVENTORY') {
      throw unprocessable(`Only INVENTORY products can track inventory, not ${type}.`, [{ field: '/trackInventory', in: 'body', message: 'needs type INVENTORY' }]);
    }
  }

  async function record(trx: Knex.Transaction, type: EventType, product: Product, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void> {
    await events.append(trx, [{ type, aggregateType: 'product', aggregateId: product.id, organizationId: product.organizationId, data: { object: product, ...(previousAttributes ? { previousAttributes } : {}) } }], meta);
  }

  async function lockRow(organizationId: string, id: string, trx: Knex.Transaction): Promise<ProductModel> {
    const row = await ProductModel.findInOrganization(organizationId, id, 'product', trx, { forUpdate: true });
    return row;
  }

  async function patch(organizationId: string, id: string, trx: Knex.Transaction, values: Partial<ProductModel>, sku: string): Promise<ProductModel> {
    try {
      return await ProductModel.forOrganization(organizationId, trx).patchAndFetchById(id, { ...values, updatedAt: new Date() });
    } catch (error) {
      if (error instanceof UniqueViolationError) throw skuTaken(sku);
      if (error instanceof CheckViolationError && error.constraint === 'products_stock_on_hand') {
        throw new AppError('CONFLICT', `Product ${sku} has stock on hand: adjust it to zero before it stops tracking inventory.`, { errors: [{ field: '/trackInventory', in: 'body', message: 'stock on hand' }] });
      }
      throw error;
    }
  }

  const service: ProductService = {
    async create(organizationId, input, meta) {
      const currency = input.currency ?? await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        await checkReferences(organizationId, input, trx);
        checkTracking(input.type, input.trackInventory ?? false);
        const values = {
          id: newId('prod'),
          organizationId,
          sku: input.sku,
          name: input.name,
          description: input.description ?? null,
          type: input.type,
          unitPrice: input.unitPrice,
          unitCost: input.unitCost ?? null,
          currency,
          taxRateId: input.taxRateId ?? null,
          incomeAccountId: input.incomeAccountId ?? null,
          trackInventory: input.trackInventory ?? false,
          reorderPoint: input.reorderPoint ?? null,
          metadata: input.metadata ?? {},
        };
        let row: ProductModel;
        try {
          row = await ProductModel.forOrganization(organizationId, trx).insertAndFetch(values as Partial<ProductModel>);
        } catch (error) {
          if (error instanceof UniqueViolationError) throw skuTaken(input.sku);
          throw error;
        }
        const product = toProduct(row);
        await record(trx, 'product.created', product, meta);
        return product;
      });
    },

    async get(organizationId, id, trx) {
      const row = await ProductModel.findInOrganization(organizationId, id, 'product', trx ?? knex);
      return toProduct(row);
    },

    async list(organizationId, query) {
      const q = ProductModel.forOrganization(organizationId, knex);
      if (query.sku) q.whereRaw('upper(sku) = upper(?)', [query.sku]);
      if (query.type) q.where('type', query.type);
      if (query.active !== undefined) q.where('active', query.active);
      if (query.trackInventory !== undefined) q.where('track_inventory', query.trackInventory);
      if (query.search) {
        const like = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.whereRaw('(products.name ILIKE ? OR products.sku ILIKE ?)', [like, like]);
      }
      return fetchPage(q, query, toProduct);
    },

    async update(organizationId, id, input, meta) {
      return knex.transaction(async (trx) => {
        const row = await lockRow(organizationId, id, trx);
        await checkReferences(organizationId, input, trx);
        const before = toProduct(row);
        const values: Partial<ProductModel> = {};
        for (const field of ['sku', 'name', 'description', 'type', 'unitPrice', 'unitCost', 'currency', 'taxRateId', 'incomeAccountId', 'active', 'trackInventory', 'reorderPoint'] as const) {
          if (input[field] !== undefined) (values as Record<string, unknown>)[field] = input[field];
        }
        if (input.metadata !== undefined) values.metadata = mergeMetadata(row.metadata, input.metadata);
        checkTracking(values.type ?? row.type, values.trackInventory ?? row.trackInventory);
        const after = toProduct(await patch(organizationId, id, trx, values, input.sku ?? row.sku));
        const previous = changedAttributes(before, after);
        if (Object.keys(previous).length > 0) await record(trx, 'product.updated', after, meta, previous);
        return after;
      });
    },

    async deactivate(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await lockRow(organizationId, id, trx);
        if (!row.active) return toProduct(row);
        const product = toProduct(await patch(organizationId, id, trx, { active: false }, row.sku));
        await record(trx, 'product.deactivated', product, meta, { active: true });
        return product;
      });
    },

    async requireActive(organizationId, ids, trx, field) {
      const unique = [...new Set(ids)];
      const rows = unique.length === 0 ? [] : await ProductModel.forOrganization(organizationId, trx).whereIn('id', unique);
      const found = new Map(rows.map((r) => [r.id, toProduct(r)]));
      for (const id of unique) {
        const product = found.get(id);
        if (!product) throw unprocessable(`No product ${id} in this organization.`, [{ field: field(id), in: 'body', message: 'no such product in this organization' }]);
        if (!product.active) throw unprocessable(`Product ${product.sku} is deactivated.`, [{ field: field(id), in: 'body', message: 'product is deactivated' }]);
      }
      return found;
    },
  };
  return service;
}
