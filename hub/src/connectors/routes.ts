import { AppError, defineRoute, type Route } from '@uah/core';
import type { ConnectorCatalogEntry } from '@uah/schemas';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { IntegrationService } from './integration-service.js';

const org = '/v1/organizations/:orgId';
const integration = `${org}/integrations/:connectorId`;
const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ACTION = /^[a-z][a-z0-9]*([-_][a-z0-9]+)*$/;
/** The action by which a payment connector's manifest says it offers payment intents. */
export const PAYMENT_INTENT_ACTION = 'create_payment_intent';

/** A path id that cannot name a connector is simply not found. */
function param(params: Record<string, string>, name: string, pattern = ID): string {
  const value = params[name] ?? '';
  if (value.length > 64 || !pattern.test(value)) throw new AppError('NOT_FOUND', `No such ${name === 'action' ? 'action' : 'connector'}.`);
  return value;
}

function toCatalogEntry(id: string, versions: CatalogEntry[]): ConnectorCatalogEntry {
  const latest = versions.find((v) => v.available);
  return {
    object: 'connector', id, available: latest !== undefined, latestVersion: latest?.version ?? null, manifest: latest?.manifest ?? null,
    permissions: latest?.manifest?.permissions ?? [], allowedHosts: latest?.manifest?.allowedHosts ?? [],
    versions: versions.map((v) => ({ version: v.version, available: v.available, origin: v.origin, sdk: v.manifest?.sdk ?? null, problem: v.problem ?? null })),
  };
}

export function createConnectorRoutes(deps: { catalog: Catalog; integrations: IntegrationService }): Route[] {
  const { catalog, integrations } = deps;
  const entryOf = (id: string): ConnectorCatalogEntry => {
    const versions = catalog.versions(id);
    if (versions.length === 0) throw new AppError('NOT_FOUND', `No connector ${id} is installed.`);
    return toCatalogEntry(id, versions);
  };
  return [
    defineRoute({
      method: 'GET', path: '/v1/connectors', operationId: 'listConnectors', tag: 'Connectors', summary: 'The connector catalog', auth: 'apiKeyOrAdmin',
      description: 'Every installed connector with its newest usable manifest, the permissions it asks for, the hosts it calls, and each installed version (unavailable ones with the reason). Connectors installed since the last call are picked up first.',
      query: 'EmptyQuery', response: { status: 200, list: 'ConnectorCatalogEntry' },
      handler: async () => {
        await catalog.refresh();
        const ids = [...new Set(catalog.list().map((e) => e.id))];
        return { data: ids.map(entryOf), nextCursor: null };
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/connectors/:connectorId', operationId: 'getConnector', tag: 'Connectors', summary: 'A connector of the catalog', auth: 'apiKeyOrAdmin',
      response: { status: 200, schema: 'ConnectorCatalogEntry' },
      handler: async ({ params }) => entryOf(param(params, 'connectorId')),
    }),
    defineRoute({
      method: 'GET', path: `${org}/integrations`, operationId: 'listIntegrations', tag: 'Integrations', summary: "The organization's integrations",
      query: 'EmptyQuery', response: { status: 200, list: 'Integration' },
      handler: async ({ organizationId }) => ({ data: await integrations.list(organizationId), nextCursor: null }),
    }),
    defineRoute({
      method: 'GET', path: integration, operationId: 'getIntegration', tag: 'Integrations', summary: 'An integration',
      response: { status: 200, schema: 'Integration' },
      handler: ({ organizationId, params }) => integrations.get(organizationId, param(params, 'connectorId')),
    }),
    defineRoute({
      method: 'PUT', path: integration, operationId: 'putIntegration', tag: 'Integrations', summary: 'Enable or reconfigure an integration', scope: 'admin',
      description: "Credentials and config are checked against the manifest's schemas, then by the connector's `check` against the provider (a refusal there is a 502 with `source: provider`). Credentials are stored encrypted and never returned: `credentialsHint` masks them. The version is pinned: a newer installed one is offered in `availableVersion`, never applied unasked.",
      body: 'IntegrationPut', response: { status: 200, schema: 'Integration' }, errors: [409, 422, 502],
      handler: ({ organizationId, params, body }) => integrations.put(organizationId, param(params, 'connectorId'), body),
    }),
    defineRoute({
      method: 'DELETE', path: integration, operationId: 'disableIntegration', tag: 'Integrations', summary: 'Disable an integration', scope: 'admin',
      description: 'The integration stops receiving events, syncs and webhooks; its history (mappings, sync jobs, state) is kept, and PUT enables it again.',
      response: { status: 200, schema: 'Integration' },
      handler: ({ organizationId, params }) => integrations.disable(organizationId, param(params, 'connectorId')),
    }),
    defineRoute({
      method: 'GET', path: `${integration}/status`, operationId: 'getIntegrationStatus', tag: 'Integrations', summary: "An integration's status",
      response: { status: 200, schema: 'IntegrationStatus' },
      handler: ({ organizationId, params }) => integrations.status(organizationId, param(params, 'connectorId')),
    }),
    defineRoute({
      method: 'POST', path: `${integration}/actions/:action`, operationId: 'runIntegrationAction', tag: 'Integrations', summary: 'Run a connector action', scope: 'admin',
      description: "The body is checked against the action's inputSchema; the action runs in the connector's worker. A provider's refusal is a 502 with `source: provider`, its status and whether a retry can help; 409 when the integration is disabled.",
      body: 'ConnectorActionInput', response: { status: 200, schema: 'ConnectorActionResult' }, errors: [409, 502],
      handler: async ({ organizationId, params, body }) => {
        const action = param(params, 'action', ACTION);
        return { object: 'action_result', action, result: await integrations.runAction(organizationId, param(params, 'connectorId'), action, body as Record<string, unknown>) };
      },
    }),
    defineRoute({
      method: 'POST', path: `${org}/payments/:connectorId/intent`, operationId: 'createPaymentIntent', tag: 'Payments', summary: "A payment intent with a payment connector's provider",
      description:
        `Served by any enabled connector whose manifest offers the \`${PAYMENT_INTENT_ACTION}\` action (404 otherwise; 409 while the integration is disabled): the same as running that action. ` +
        "The connector creates the intent with its provider, records a PENDING payment with the intent's id as its reference (`payment.initiated`) and answers the intent's id, client secret, status, amount and currency. A provider's refusal is a 502 with `source: provider`.",
      body: 'PaymentIntentCreate', response: { status: 200, schema: 'PaymentIntent' }, errors: [409, 422, 502],
      handler: ({ organizationId, params, body }) => integrations.runAction(organizationId, param(params, 'connectorId'), PAYMENT_INTENT_ACTION, body as Record<string, unknown>),
    }),
  ];
}
