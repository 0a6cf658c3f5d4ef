import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyListQuery, Organization, OrganizationCreate, OrganizationCreated, OrganizationUpdate } from '@uah/schemas';
import type { Page } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

export interface OrganizationsResource {
  /** The client's organization, or another one an admin token may read. */
  get(organizationId?: string, options?: RequestOptions): Promise<Organization>;
  /** Needs the hub admin token as `apiKey`. The new organization's first key is in `apiKey`, shown once. */
  create(body: OrganizationCreate, options?: RequestOptions): Promise<OrganizationCreated>;
  /**
   * Needs the hub admin token as `apiKey`: the tier (its requests per window), the organization's own rate
   * limit (`null`: the tier's), its name or metadata.
   * @example await admin.organizations.update('org_01…', { tier: 'ENTERPRISE' })
   */
  update(organizationId: string, body: OrganizationUpdate, options?: RequestOptions): Promise<Organization>;
}

export interface ApiKeysResource {
  /** The key is in `apiKey`, shown only this once (`secret`, the same value, is its deprecated former name). */
  create(body?: ApiKeyCreate, options?: RequestOptions): Promise<ApiKeyCreated>;
  list(query?: ApiKeyListQuery, options?: RequestOptions): Promise<Page<ApiKey>>;
  revoke(id: string, options?: RequestOptions): Promise<ApiKey>;
}

export function createOrganizationsResource(c: ResourceContext): OrganizationsResource {
  return {
    get: (orgId, o) => c.get(orgId ? `/v1/organizations/${c.id(orgId)}` : c.org(), undefined, o),
    create: (body, o) => c.post('/v1/organizations', body, o),
    update: (orgId, body, o) => c.patch(`/v1/organizations/${c.id(orgId)}`, body, o),
  };
}

export function createApiKeysResource(c: ResourceContext): ApiKeysResource {
  return {
    create: (body, o) => c.post(`${c.org()}/api-keys`, body ?? {}, o),
    list: (query, o) => c.get(`${c.org()}/api-keys`, query, o),
    revoke: (keyId, o) => c.post(`${c.org()}/api-keys/${c.id(keyId)}/revoke`, undefined, o),
  };
}
