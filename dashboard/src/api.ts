import type {
  ConnectorCatalogEntry,
  Integration,
  IntegrationPut,
  IntegrationStatus,
  IntegrationSyncConfig,
  IntegrationSyncJob,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookTestResult,
} from '@uah/schemas';
import type { Page } from '@uah/client/portable';
import type { SignedIn } from './session.js';

/**
 * The catalog, integration and webhook routes, typed with the API's own schema types. (The typed client
 * covers the books; these are the management routes the dashboard adds on top.)
 */
export function hubApi(s: SignedIn) {
  const integration = (id: string): string => `${s.org}/integrations/${encodeURIComponent(id)}`;
  const endpoint = (id: string): string => `${s.org}/webhooks/${encodeURIComponent(id)}`;
  return {
    catalog: () => s.request<Page<ConnectorCatalogEntry>>('GET', '/v1/connectors'),
    connector: (id: string, version?: string) => s.request<ConnectorCatalogEntry>('GET', `/v1/connectors/${encodeURIComponent(id)}${version ? `?version=${encodeURIComponent(version)}` : ''}`),
    integrations: () => s.request<Page<Integration>>('GET', `${s.org}/integrations`),
    integration: (id: string) => s.request<Integration>('GET', integration(id)),
    enable: (id: string, body: IntegrationPut) => s.request<Integration>('PUT', integration(id), body),
    disable: (id: string) => s.request<Integration>('DELETE', integration(id)),
    status: (id: string) => s.request<IntegrationStatus>('GET', `${integration(id)}/status`),
    syncNow: (id: string) => s.request<Page<IntegrationSyncJob>>('POST', `${integration(id)}/sync`, {}),
    syncJobs: (id: string) => s.request<Page<IntegrationSyncJob>>('GET', `${integration(id)}/sync-jobs`),
    syncJob: (id: string, jobId: string) => s.request<IntegrationSyncJob>('GET', `${integration(id)}/sync-jobs/${encodeURIComponent(jobId)}`),
    syncConfig: (id: string) => s.request<IntegrationSyncConfig>('GET', `${integration(id)}/sync-config`),
    setSyncConfig: (id: string, body: IntegrationSyncConfig) => s.request<IntegrationSyncConfig>('PUT', `${integration(id)}/sync-config`, body),
    /** Where the browser goes to connect an OAuth2 provider; the hub redirects to the provider and back. */
    authorizeUrl: (id: string) => `${integration(id)}/oauth/authorize`,
    endpoints: () => s.request<Page<WebhookEndpoint>>('GET', `${s.org}/webhooks?limit=100`),
    endpoint: (id: string) => s.request<WebhookEndpoint>('GET', endpoint(id)),
    createEndpoint: (body: WebhookEndpointCreate) => s.request<WebhookEndpointCreated>('POST', `${s.org}/webhooks`, body),
    deleteEndpoint: (id: string) => s.request<undefined>('DELETE', endpoint(id)),
    testEndpoint: (id: string) => s.request<WebhookTestResult>('POST', `${endpoint(id)}/test`),
    rotateSecret: (id: string) => s.request<WebhookEndpointCreated>('POST', `${endpoint(id)}/rotate-secret`),
    enableEndpoint: (id: string) => s.request<unknown>('POST', `${endpoint(id)}/enable`, { redeliverMissed: false }),
    /** The newest deliveries: the list is oldest first, so the last pages are read (at most five). */
    deliveries: async (id: string): Promise<WebhookDelivery[]> => {
      const all: WebhookDelivery[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const result: Page<WebhookDelivery> = await s.request('GET', `${endpoint(id)}/deliveries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        all.push(...result.data);
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return all.reverse();
    },
    redeliver: (id: string, deliveryId: string) => s.request<WebhookDelivery>('POST', `${endpoint(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
  };
}

export type HubApi = ReturnType<typeof hubApi>;
