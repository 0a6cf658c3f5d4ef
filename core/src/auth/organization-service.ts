import type { Knex } from 'knex';
import type { ApiKeyScope, CurrencyCode, Organization, OrganizationCreate, OrganizationCreated, OrganizationUpdate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { organizationNotFound } from '../http/errors.js';
import { OrganizationModel } from './models.js';
import type { ApiKeyService } from './api-key-service.js';
import { organizationRateLimit, type TierLimits } from './tiers.js';

const BASE_CURRENCY_CACHE_SIZE = 10_000;

export const ALL_SCOPES: ApiKeyScope[] = ['read', 'write', 'admin'];

/** Runs inside the transaction that creates an organization (the ledger seeds its chart of accounts). */
export type OrganizationCreatedHook = (trx: Knex.Transaction, organization: Organization) => Promise<void>;

export interface OrganizationService {
  create(input: OrganizationCreate): Promise<OrganizationCreated>;
  get(id: string): Promise<Organization>;
  /**
   * The organization's base currency, which never changes once it is created: read once per process and
   * kept (most writes need it for their defaults, and it was a round trip to the database each time).
   */
  baseCurrency(id: string): Promise<CurrencyCode>;
  /** The admin's changes: name, tier, the organization's own rate limit (null: its tier's), metadata. */
  update(id: string, input: OrganizationUpdate): Promise<Organization>;
  /** Adds a hook run in the creating transaction; contexts register theirs when the core is assembled. */
  onCreated(hook: OrganizationCreatedHook): void;
}

export function toOrganization(row: OrganizationModel, limits: TierLimits): Organization {
  return {
    id: row.id,
    object: 'organization',
    name: row.name,
    baseCurrency: row.baseCurrency,
    tier: row.tier,
    rateLimit: organizationRateLimit(limits, row.tier, row.rateLimit ?? null),
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createOrganizationService(deps: { knex: Knex; apiKeys: ApiKeyService; limits: TierLimits }): OrganizationService {
  const hooks: OrganizationCreatedHook[] = [];
  const baseCurrencies = new Map<string, CurrencyCode>();
  const service: OrganizationService = {
    onCreated(hook) {
      hooks.push(hook);
    },

    async create(input) {
      return deps.knex.transaction(async (trx) => {
        const values: Partial<OrganizationModel> = { id: newId('org'), name: input.name, baseCurrency: input.baseCurrency ?? 'USD', metadata: input.metadata ?? {} };
        const row = await OrganizationModel.query(trx).insertAndFetch(values as never);
        const organization = toOrganization(row, deps.limits);
        const key = await deps.apiKeys.create(organization.id, { name: 'Default key', scopes: ALL_SCOPES }, trx);
        for (const hook of hooks) await hook(trx, organization);
        return { ...organization, apiKey: key.apiKey, apiKeyId: key.id };
      });
    },

    async get(id) {
      const row = await OrganizationModel.query(deps.knex).findById(id);
      if (!row) throw organizationNotFound(id);
      return toOrganization(row, deps.limits);
    },

    async baseCurrency(id) {
      const known = baseCurrencies.get(id);
      if (known !== undefined) return known;
      const { baseCurrency } = await service.get(id);
      if (baseCurrencies.size >= BASE_CURRENCY_CACHE_SIZE) baseCurrencies.clear();
      baseCurrencies.set(id, baseCurrency);
      return baseCurrency;
    },

    async update(id, input) {
      const changes: Partial<OrganizationModel> = { updatedAt: new Date() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.tier !== undefined) changes.tier = input.tier;
      if (input.rateLimit !== undefined) changes.rateLimit = input.rateLimit;
      if (input.metadata !== undefined) changes.metadata = input.metadata;
      const rows = await OrganizationModel.query(deps.knex).patch(changes as never).where('id', id).returning('*');
      const row = rows[0];
      if (!row) throw organizationNotFound(id);
      return toOrganization(row, deps.limits);
    },
  };
  return service;
}
