import type { Knex } from 'knex';
import type { EventMetadata, Vendor, VendorCreate, VendorListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import { toVendor } from './mappers.js';
import { VendorModel } from './model.js';

export interface VendorService {
  create(organizationId: string, input: VendorCreate, meta: EventMetadata): Promise<Vendor>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Vendor>;
  /** The vendor, checked to be active: bills and orders are only recorded for active vendors (422 otherwise). */
  requireActive(organizationId: string, id: string, trx: Knex.Transaction): Promise<Vendor>;
  list(organizationId: string, query: VendorListQuery): Promise<Page<Vendor>>;
}

export function createVendorService(deps: { knex: Knex; events: EventStore; organizations: Pick<OrganizationService, 'get' | 'baseCurrency'> }): VendorService {
  const { knex, events } = deps;
  const service: VendorService = {
    async create(organizationId, input, meta) {
      const currency = input.currency ?? await deps.organizations.baseCurrency(organizationId);
      const now = new Date().toISOString();
      const row = {
        id: newId('ven'), organizationId, name: input.name, email: input.email?.toLowerCase() ?? null, phone: input.phone ?? null, taxNumber: input.taxNumber ?? null,
        currency, paymentTermsDays: input.paymentTermsDays ?? 30, address: input.address ?? null, status: 'ACTIVE' as const, metadata: input.metadata ?? {}, createdAt: now, updatedAt: now,
      };
      const vendor = toVendor(row as unknown as VendorModel);
      // The row and its event in one statement: one round trip, where a transaction with the row read back took five.
      await events.insertWithEvent(VendorModel.tableName, row, { type: 'vendor.created', aggregateType: 'vendor', aggregateId: vendor.id, organizationId, data: { object: vendor } }, meta);
      return vendor;
    },

    async get(organizationId, id, trx) {
      return toVendor(await VendorModel.findInOrganization(organizationId, id, 'vendor', trx ?? knex));
    },

    async requireActive(organizationId, id, trx) {
      const row = await VendorModel.forOrganization(organizationId, trx).findById(id);
      if (!row) throw unprocessable(`No vendor ${id} in this organization.`, [{ field: '/vendorId', in: 'body', message: 'no such vendor in this organization' }]);
      if (row.status !== 'ACTIVE') throw unprocessable(`Vendor ${id} is deactivated.`, [{ field: '/vendorId', in: 'body', message: 'vendor is deactivated' }]);
      return toVendor(row);
    },

    async list(organizationId, query) {
      const q = VendorModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toVendor);
    },
  };
  return service;
}
