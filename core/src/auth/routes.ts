import { defineRoute, type Route } from '../http/route.js';
import type { ApiKeyService } from './api-key-service.js';
import type { OrganizationService } from './organization-service.js';

const org = '/v1/organizations/:orgId';

export function createAuthRoutes(deps: { organizations: OrganizationService; apiKeys: ApiKeyService }): Route[] {
  const { organizations, apiKeys } = deps;
  return [
    defineRoute({
      method: 'POST', path: '/v1/organizations', operationId: 'createOrganization', tag: 'Organizations', auth: 'admin',
      summary: 'Create an organization',
      description: 'Needs the hub admin token. Returns the organization with its first API key (all scopes) in `apiKey`, shown only this once.',
      body: 'OrganizationCreate', response: { status: 201, schema: 'OrganizationCreated' },
      handler: ({ body }) => organizations.create(body),
    }),
    defineRoute({
      method: 'GET', path: org, operationId: 'getOrganization', tag: 'Organizations', auth: 'apiKeyOrAdmin',
      summary: 'Get an organization', response: { status: 200, schema: 'Organization' },
      handler: ({ organizationId }) => organizations.get(organizationId),
    }),
    defineRoute({
      method: 'PATCH', path: org, operationId: 'updateOrganization', tag: 'Organizations', auth: 'admin',
      summary: 'Change an organization (tier, rate limit, name)',
      description: 'Needs the hub admin token. The tier sets the requests per window of all the organization\'s keys together (docs/limits.md); `rateLimit` replaces the tier\'s number for this organization, `null` returns to it. Every hub process applies a change within 2 seconds.',
      body: 'OrganizationUpdate', response: { status: 200, schema: 'Organization' },
      handler: ({ organizationId, body }) => organizations.update(organizationId, body),
    }),
    defineRoute({
      method: 'POST', path: `${org}/api-keys`, operationId: 'createApiKey', tag: 'API keys', auth: 'apiKeyOrAdmin', scope: 'admin',
      summary: 'Create an API key', description: 'The key is in `apiKey` (as organization creation returns it), shown only this once; only its hash is stored. `secret` holds the same value under its former name: deprecated, kept for now.',
      body: 'ApiKeyCreate', response: { status: 201, schema: 'ApiKeyCreated' },
      handler: async ({ organizationId, body }) => {
        await organizations.get(organizationId);
        return apiKeys.create(organizationId, body);
      },
    }),
    defineRoute({
      method: 'GET', path: `${org}/api-keys`, operationId: 'listApiKeys', tag: 'API keys', auth: 'apiKeyOrAdmin', scope: 'admin',
      summary: 'List API keys', query: 'ApiKeyListQuery', response: { status: 200, list: 'ApiKey' },
      handler: ({ organizationId, query }) => apiKeys.list(organizationId, query),
    }),
    defineRoute({
      method: 'POST', path: `${org}/api-keys/:keyId/revoke`, operationId: 'revokeApiKey', tag: 'API keys', auth: 'apiKeyOrAdmin', scope: 'admin',
      summary: 'Revoke an API key', description: 'The key stops working at once on this process and within seconds on others.',
      response: { status: 200, schema: 'ApiKey' },
      handler: ({ organizationId, params }) => apiKeys.revoke(organizationId, params['keyId'] ?? ''),
    }),
  ];
}
