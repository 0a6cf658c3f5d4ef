import type { Knex } from 'knex';
import type { ApiKeyScope, Organization, OrganizationCreate, OrganizationCreated } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { organizationNotFound } from '../http/errors.js';
import { OrganizationModel } from './models.js';
import type { ApiKeyService } from './api-key-service.js';

export const ALL_SCOPES: ApiKeyScope[] = ['read', 'write', 'admin'];

/** Runs inside the transaction that creates an organization (the ledger seeds its chart of accounts). */
export type OrganizationCreatedHook = (trx: Knex.Transaction, organization: Organization) => Promise<void>;

export interface OrganizationService {
  create(input: OrganizationCreate): Promise<OrganizationCreated>;
  get(id: string): Promise<Organization>;
  /** Adds a hook run in the creating transaction; contexts register theirs when the core is assembled. */
  onCreated(hook: OrganizationCreatedHook): void;
}

export function toOrganization(row: OrganizationModel): Organization {
  return {
    id: row.id,
    object: 'organization',
    name: row.name,
    baseCurrency: row.baseCurrency,
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createOrganizationService(deps: { knex: Knex; apiKeys: ApiKeyService }): OrganizationService {
  const hooks: OrganizationCreatedHook[] = [];
  return {
    onCreated(hook) {
      hooks.push(hook);
    },

    async create(input) {
      return deps.knex.transaction(async (trx) => {
        const values: Partial<OrganizationModel> = { id: newId('org'), name: input.name, baseCurrency: input.baseCurrency ?? 'USD', metadata: input.metadata ?? {} };
        const row = await OrganizationModel.query(trx).insertAndFetch(values as never);
        const organization = toOrganization(row);
        const key = await deps.apiKeys.create(organization.id, { name: 'Default key', scopes: ALL_SCOPES }, trx);
        for (const hook of hooks) await hook(trx, organization);
        return { ...organization, apiKey: key.apiKey, apiKeyId: key.id };
      });
    },

    async get(id) {
      const row = await OrganizationModel.query(deps.knex).findById(id);
      if (!row) throw organizationNotFound(id);
      return toOrganization(row);
    },
  };
}
