import type {
  ConnectorActionResult, ConnectorCatalogEntry, ConnectorGetQuery, Integration, IntegrationPut, OAuthAuthorization, ParkedEvent, ParkedEventRetry, IntegrationStatus, IntegrationSyncConfig, IntegrationSyncJob, IntegrationSyncRequest,
} from '@uah/schemas';
import type { Page } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/** The connector catalog of the hub (not of one organization): what can be enabled. */
export interface ConnectorsResource {
  /** Every installed connector with its manifest, versions, permissions and hosts (one page holds them all). */
  list(options?: RequestOptions): Promise<Page<ConnectorCatalogEntry>>;
  /** Described by its newest usable version, or by `query.version` (an installed one). */
  get(connectorId: string, query?: ConnectorGetQuery, options?: RequestOptions): Promise<ConnectorCatalogEntry>;
}

/** The organization's integrations: connectors it enabled, their syncs and actions. */
export interface IntegrationsResource {
  list(options?: RequestOptions): Promise<Page<Integration>>;
  get(connectorId: string, options?: RequestOptions): Promise<Integration>;
  /**
   * Enables or reconfigures (PUT): credentials and config are checked against the manifest and by the
   * connector against the provider (a refusal there is a 502 with `source: "provider"`). Credentials are
   * stored encrypted and never returned (`credentialsHint`).
   */
  enable(connectorId: string, body: IntegrationPut, options?: RequestOptions): Promise<Integration>;
  /** Stops events, syncs and webhooks; the history is kept and `enable` starts it again. */
  disable(connectorId: string, options?: RequestOptions): Promise<Integration>;
  status(connectorId: string, options?: RequestOptions): Promise<IntegrationStatus>;
  /** Queues one sync job per data type and direction (all of them by default); 409 when disabled. */
  sync(connectorId: string, body?: IntegrationSyncRequest, options?: RequestOptions): Promise<Page<IntegrationSyncJob>>;
  /** The recent sync jobs, newest first (100 at most). */
  syncJobs(connectorId: string, options?: RequestOptions): Promise<Page<IntegrationSyncJob>>;
  syncJob(connectorId: string, jobId: string, options?: RequestOptions): Promise<IntegrationSyncJob>;
  syncConfig(connectorId: string, options?: RequestOptions): Promise<IntegrationSyncConfig>;
  setSyncConfig(connectorId: string, body: IntegrationSyncConfig, options?: RequestOptions): Promise<IntegrationSyncConfig>;
  /** Runs an action of the connector's manifest with `input` (checked against the action's inputSchema). */
  runAction(connectorId: string, action: string, input?: Record<string, unknown>, options?: RequestOptions): Promise<ConnectorActionResult>;
  /**
   * For a connector that authorizes with OAuth2: the provider's authorization URL to send the user's
   * browser to (with a signed `state` that works once, within minutes), and the callback it returns to.
   */
  authorize(connectorId: string, options?: RequestOptions): Promise<OAuthAuthorization>;
  /** Events the connector's handler kept failing on, newest first, with their last error. */
  parked(connectorId: string, options?: RequestOptions): Promise<Page<ParkedEvent>>;
  /** Sends the named parked events (all of them when `eventIds` is left out) back to the connector. */
  retryParked(connectorId: string, body?: ParkedEventRetry, options?: RequestOptions): Promise<Page<ParkedEvent>>;
}

export function createConnectorsResource(c: ResourceContext): ConnectorsResource {
  return {
    list: (o) => c.get('/v1/connectors', undefined, o),
    get: (connectorId, q, o) => c.get(`/v1/connectors/${c.id(connectorId)}`, q, o),
  };
}

export function createIntegrationsResource(c: ResourceContext): IntegrationsResource {
  const base = (): string => `${c.org()}/integrations`;
  const one = (connectorId: string): string => `${base()}/${c.id(connectorId)}`;
  return {
    list: (o) => c.get(base(), undefined, o),
    get: (connectorId, o) => c.get(one(connectorId), undefined, o),
    enable: (connectorId, body, o) => c.put(one(connectorId), body, o),
    disable: (connectorId, o) => c.delete(one(connectorId), o),
    status: (connectorId, o) => c.get(`${one(connectorId)}/status`, undefined, o),
    sync: (connectorId, body, o) => c.post(`${one(connectorId)}/sync`, body ?? {}, o),
    syncJobs: (connectorId, o) => c.get(`${one(connectorId)}/sync-jobs`, undefined, o),
    syncJob: (connectorId, jobId, o) => c.get(`${one(connectorId)}/sync-jobs/${c.id(jobId)}`, undefined, o),
    syncConfig: (connectorId, o) => c.get(`${one(connectorId)}/sync-config`, undefined, o),
    setSyncConfig: (connectorId, body, o) => c.put(`${one(connectorId)}/sync-config`, body, o),
    runAction: (connectorId, action, input, o) => c.post(`${one(connectorId)}/actions/${c.id(action)}`, input ?? {}, o),
    authorize: (connectorId, o) => c.get(`${one(connectorId)}/oauth/authorize`, undefined, o),
    parked: (connectorId, o) => c.get(`${one(connectorId)}/parked`, undefined, o),
    retryParked: (connectorId, body, o) => c.post(`${one(connectorId)}/parked/retry`, body ?? {}, o),
  };
}
