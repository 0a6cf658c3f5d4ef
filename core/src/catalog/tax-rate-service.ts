import type { Knex } from 'knex';
import type { EventMetadata, EventType, TaxRate, TaxRateCreate, TaxRateListQuery, TaxRateUpdate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import { findAccount } from './accounts.js';
import { mergeMetadata } from '../customers/service.js';
import { changedAttributes } from './changes.js';
import { TaxRateModel } from './model.js';

export interface TaxRateService {
  create(organizationId: string, input: TaxRateCreate, meta: EventMetadata): Promise<TaxRate>;
  get(organizationId: string, id: string, trx?: Knex | Knex.Transaction): Promise<TaxRate>;
  list(organizationId: string, query: TaxRateListQuery): Promise<Page<TaxRate>>;
  update(organizationId: string, id: string, input: TaxRateUpdate, meta: EventMetadata): Promise<TaxRate>;
  /** The rates of these ids, all of this organization and active, else a 422 naming `field`. */
  requireActive(organizationId: string, ids: string[], trx: Knex | Knex.Transaction, field?: (id: string) => string): Promise<Map<string, TaxRate>>;
}

export function toTaxRate(row: TaxRateModel): TaxRate {
  return {
    id: row.id,
    object: 'tax_rate',
    organizationId: row.organizationId,
    name: row.name,
    basisPoints: row.basisPoints,
    accountId: row.accountId,
    active: row.active,
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createTaxRateService(deps: { knex: Knex; events: EventStore; ledger: Pick<LedgerService, 'accountByKey' | 'accounts'> }): TaxRateService {
  const { knex, events, ledger } = deps;

  /** Tax collected is owed to the tax authority: it can only go to an active liability account of this organization. */
  async function checkAccount(organizationId: string, accountId: string, trx: Knex.Transaction): Promise<void> {
    const account = await findAccount(ledger, organizationId, accountId, trx);
    if (!account) throw unprocessable(`No account ${accountId} in this organization.`, [{ field: '/accountId', in: 'body', message: 'no such account in this organization' }]);
    if (account.type !== 'LIABILITY' || !account.active) {
      throw unprocessable(`Account ${account.code} must be an active liability account to collect tax.`, [{ field: '/accountId', in: 'body', message: 'must be an active LIABILITY account' }]);
    }
  }

  async function record(trx: Knex.Transaction, type: EventType, rate: TaxRate, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void> {
    await events.append(trx, [{ type, aggregateType: 'tax_rate', aggregateId: rate.id, organizationId: rate.organizationId, data: { object: rate, ...(previousAttributes ? { previousAttributes } : {}) } }], meta);
  }

  const service: TaxRateService = {
    async create(organizationId, input, meta) {
      return knex.transaction(async (trx) => {
        let accountId = input.accountId;
        if (accountId) await checkAccount(organizationId, accountId, trx);
        else accountId = (await ledger.accountByKey(organizationId, 'sales_tax_payable', trx)).id;
        const row = await TaxRateModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('txr'),
          organizationId,
          name: input.name,
          basisPoints: input.basisPoints,
          accountId,
          metadata: input.metadata ?? {},
        } as Partial<TaxRateModel>);
        const rate = toTaxRate(row);
        await record(trx, 'tax_rate.created', rate, meta);
        return rate;
      });
    },

    async get(organizationId, id, trx) {
      const row = await TaxRateModel.findInOrganization(organizationId, id, 'tax rate', trx ?? knex);
      return toTaxRate(row);
    },

    async list(organizationId, query) {
      const q = TaxRateModel.forOrganization(organizationId, knex);
      if (query.active !== undefined) q.where('active', query.active);
      return fetchPage(q, query, toTaxRate);
    },

    async update(organizationId, id, input, meta) {
      return knex.transaction(async (trx) => {
        const row = await TaxRateModel.findInOrganization(organizationId, id, 'tax rate', trx, { forUpdate: true });
        if (input.accountId !== undefined) await checkAccount(organizationId, input.accountId, trx);
        const before = toTaxRate(row);
        const patch: Partial<TaxRateModel> = { updatedAt: new Date() };
        for (const field of ['name', 'basisPoints', 'accountId', 'active'] as const) {
          if (input[field] !== undefined) (patch as Record<string, unknown>)[field] = input[field];
        }
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        const after = toTaxRate(await TaxRateModel.forOrganization(organizationId, trx).patchAndFetchById(id, patch));
        const previous = changedAttributes(before, after);
        if (Object.keys(previous).length > 0) await record(trx, 'tax_rate.updated', after, meta, previous);
        return after;
      });
    },

    async requireActive(organizationId, ids, trx, field = () => '/taxRateId') {
      const unique = [...new Set(ids)];
      const rows = unique.length === 0 ? [] : await TaxRateModel.forOrganization(organizationId, trx).whereIn('id', unique);
      const found = new Map(rows.map((r) => [r.id, toTaxRate(r)]));
      for (const id of unique) {
        const rate = found.get(id);
        if (!rate) throw unprocessable(`No tax rate ${id} in this organization.`, [{ field: field(id), in: 'body', message: 'no such tax rate in this organization' }]);
        if (!rate.active) throw unprocessable(`Tax rate ${rate.name} is deactivated.`, [{ field: field(id), in: 'body', message: 'tax rate is deactivated' }]);
      }
      return found;
    },
  };
  return service;
}
