import type { Knex } from 'knex';
import type { Customer, CustomerCreate, CustomerListQuery, CustomerUpdate, EventMetadata, EventType } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import { CustomerModel } from './model.js';

export interface CustomerService {
  create(organizationId: string, input: CustomerCreate, meta: EventMetadata): Promise<Customer>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Customer>;
  /** The customer, checked to be active: documents are only issued to active customers. */
  requireActive(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Customer>;
  list(organizationId: string, query: CustomerListQuery): Promise<Page<Customer>>;
  update(organizationId: string, id: string, input: CustomerUpdate, meta: EventMetadata): Promise<Customer>;
  deactivate(organizationId: string, id: string, meta: EventMetadata): Promise<Customer>;
}

export function toCustomer(row: CustomerModel): Customer {
  const name = [row.firstName, row.lastName].filter(Boolean).join(' ');
  return {
    id: row.id,
    object: 'customer',
    organizationId: row.organizationId,
    firstName: row.firstName,
    lastName: row.lastName,
    businessName: row.businessName,
    displayName: row.businessName ?? (name || row.email || row.id),
    email: row.email,
    phone: row.phone,
    tier: row.tier,
    currency: row.currency,
    billingAddress: row.billingAddress,
    status: row.status,
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Merges a metadata patch: keys set to '' are removed. */
export function mergeMetadata(current: Record<string, string>, patch: Record<string, string> | undefined): Record<string, string> {
  if (!patch) return current;
  const out = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  if (Object.keys(out).length > 50) throw new AppError('VALIDATION_FAILED', 'Metadata can hold at most 50 keys.', { errors: [{ field: '/metadata', in: 'body', message: 'more than 50 keys' }] });
  return out;
}

function changed(before: Customer, after: Customer): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(after) as Array<keyof Customer>) {
    if (key === 'updatedAt') continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}

export function createCustomerService(deps: { knex: Knex; events: EventStore; organizations: OrganizationService }): CustomerService {
  const { knex, events } = deps;

  async function lockRow(organizationId: string, id: string, trx: Knex.Transaction): Promise<CustomerModel> {
    const row = await CustomerModel.findInOrganization(organizationId, id, 'customer', trx, { forUpdate: true });
    return row;
  }

  async function record(trx: Knex.Transaction, type: EventType, customer: Customer, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void> {
    await events.append(trx, [{ type, aggregateType: 'customer', aggregateId: customer.id, organizationId: customer.organizationId, data: { object: customer, ...(previousAttributes ? { previousAttributes } : {}) } }], meta);
  }

  const service: CustomerService = {
    async create(organizationId, input, meta) {
      const currency = input.currency ?? await deps.organizations.baseCurrency(organizationId);
      const now = new Date();
      const row = {
        id: newId('cus'),
        organizationId,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        businessName: input.businessName ?? null,
        email: input.email?.toLowerCase() ?? null,
        phone: input.phone ?? null,
        tier: input.tier ?? 'SMALL_BUSINESS',
        currency,
        billingAddress: input.billingAddress ?? null,
        status: 'ACTIVE' as const,
        metadata: input.metadata ?? {},
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const customer = toCustomer(row as CustomerModel);
      // The row and its event in one statement: one round trip, where a transaction around two inserts took four.
      await events.insertWithEvent(CustomerModel.tableName, row, { type: 'customer.created', aggregateType: 'customer', aggregateId: customer.id, organizationId, data: { object: customer } }, meta);
      return customer;
    },

    async get(organizationId, id, trx) {
      const row = await CustomerModel.findInOrganization(organizationId, id, 'customer', trx ?? knex);
      return toCustomer(row);
    },

    async requireActive(organizationId, id, trx) {
      const customer = await service.get(organizationId, id, trx);
      if (customer.status !== 'ACTIVE') throw new AppError('UNPROCESSABLE', `Customer ${id} is deactivated.`);
      return customer;
    },

    async list(organizationId, query) {
      const q = CustomerModel.forOrganization(organizationId, knex);
      if (query.email) q.where('email', query.email.toLowerCase());
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toCustomer);
    },

    async update(organizationId, id, input, meta) {
      return knex.transaction(async (trx) => {
        const row = await lockRow(organizationId, id, trx);
        const before = toCustomer(row);
        const patch: Partial<CustomerModel> = { updatedAt: new Date(), version: row.version + 1 };
        for (const field of ['firstName', 'lastName', 'businessName', 'phone', 'tier', 'currency', 'billingAddress'] as const) {
          if (input[field] !== undefined) (patch as Record<string, unknown>)[field] = input[field];
        }
        if (input.email !== undefined) patch.email = input.email?.toLowerCase() ?? null;
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        const updated = await CustomerModel.forOrganization(organizationId, trx).patchAndFetchById(id, patch);
        const after = toCustomer(updated);
        if (!after.firstName && !after.lastName && !after.businessName && !after.email) {
          throw new AppError('VALIDATION_FAILED', 'A customer needs at least one of firstName, lastName, businessName or email.', { errors: [{ field: '', in: 'body', message: 'would leave the customer without a name' }] });
        }
        const previous = changed(before, after);
        if (Object.keys(previous).length > 0) await record(trx, 'customer.updated', after, meta, previous);
        return after;
      });
    },

    async deactivate(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await lockRow(organizationId, id, trx);
        if (row.status === 'INACTIVE') return toCustomer(row);
        const updated = await CustomerModel.forOrganization(organizationId, trx).patchAndFetchById(id, { status: 'INACTIVE', updatedAt: new Date(), version: row.version + 1 });
        const customer = toCustomer(updated);
        await record(trx, 'customer.deactivated', customer, meta, { status: 'ACTIVE' });
        return customer;
      });
    },
  };
  return service;
}
