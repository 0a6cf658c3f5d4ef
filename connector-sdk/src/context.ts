/**
 * What a connector receives from the hub: the only way it reaches the books. The hub implements
 * these interfaces for one organization and one connector; a connector never sees the database,
 * another organization, or another connector's mappings and state. Tests implement them with fakes.
 */
import type { ConnectorAuth } from './auth.js';
import type { HttpClient, HttpClientOptions } from './http/client.js';
import type { ConnectorEntities } from './entities.js';

export type { ConnectorEntities, EntityCollection, Page } from './entities.js';

/**
 * A JSON value: what sync state, action results and webhook replies may hold.
 *
 * @example
 * ```ts
 * const cursor: JsonValue = { startingAfter: 'ch_1', syncedAt: '2026-01-31T09:30:00.000Z' };
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The link between our records and the provider's, per entity type (`customer`, `invoice`, …). One
 * of our records maps to at most one provider record and the other way round; this is how a sync
 * knows it has seen a record before, and how a push knows what to update.
 *
 * @example
 * ```ts
 * const ours = await ctx.mappings.internalIdOf('customer', stripeCustomer.id);
 * if (!ours) {
 *   const created = await ctx.entities.customers.create({ email: stripeCustomer.email });
 *   await ctx.mappings.link('customer', created.id, stripeCustomer.id);
 * }
 * ```
 */
export interface ExternalIdMappings {
  /** The provider's id for one of our records. */
  externalIdOf(entityType: string, internalId: string): Promise<string | undefined>;
  /** Our id for a provider's record. */
  internalIdOf(entityType: string, externalId: string): Promise<string | undefined>;
  /** Records the link, replacing an earlier link of either side. */
  link(entityType: string, internalId: string, externalId: string): Promise<void>;
  unlink(entityType: string, internalId: string): Promise<void>;
}

/**
 * Small persistent state of the integration (cursors, high-water marks, webhook registration ids),
 * kept per organization and connector across syncs and hub restarts.
 *
 * @example
 * ```ts
 * const since = (await ctx.syncState.get('payments.cursor')) ?? null;
 * // ... pull the pages after `since`, then:
 * await ctx.syncState.set('payments.cursor', lastSeenId);
 * ```
 */
export interface SyncStateStore {
  get(key: string): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * Structured logs, tagged by the hub with the organization, connector and job. Never log credentials.
 *
 * @example
 * ```ts
 * ctx.logger.info('pulled payments', { count: 42, cursor });
 * ```
 */
export interface ConnectorLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Makes an HTTP client for the provider's API. The hub's factory sets `allowedHosts` to the manifest's
 * (a connector cannot widen it), adds its outbound-address policy, logs retries and aborts requests
 * when the job is cancelled; for an oauth2 connector it also sends the organization's access token as
 * `Authorization: Bearer …` (unless you set that header); otherwise it is {@link createHttpClient}.
 *
 * @example
 * ```ts
 * const api = ctx.http({ baseUrl: 'https://api.stripe.com/v1', headers: { authorization: `Bearer ${ctx.credentials.secretKey}` } });
 * ```
 */
export type HttpClientFactory = (options: HttpClientOptions) => HttpClient;

/**
 * Everything a handler receives. `credentials` and `config` are the organization's, already
 * validated against the manifest's `credentialsSchema` and `configSchema`; type them with
 * `defineConnector<Credentials, Config>()`.
 *
 * @example
 * ```ts
 * async function pullPayments(ctx: ConnectorContext<{ secretKey: string }>, job: SyncJob): Promise<SyncResult> {
 *   ctx.logger.info('sync starting', { organizationId: ctx.organizationId, full: job.full });
 *   return { created: 0, updated: 0, skipped: 0, failed: 0 };
 * }
 * ```
 */
export interface ConnectorContext<TCredentials = Record<string, unknown>, TConfig = Record<string, unknown>> {
  connectorId: string;
  organizationId: string;
  credentials: Readonly<TCredentials>;
  config: Readonly<TConfig>;
  entities: ConnectorEntities;
  mappings: ExternalIdMappings;
  syncState: SyncStateStore;
  logger: ConnectorLogger;
  http: HttpClientFactory;
  /** The integration's authorization with the provider: `accessToken()` for an oauth2 connector. */
  auth: ConnectorAuth;
  /**
   * Why this handler runs, as the events its changes emit will say: `IMPORT` (syncs, actions, domain
   * events) or `WEBHOOK` (a provider webhook), and the id of the event, webhook delivery or sync job
   * that caused it.
   */
  cause: { source: 'IMPORT' | 'WEBHOOK'; causationId?: string };
  /** Aborted when the job is cancelled or times out, or the hub shuts down: stop work and return. */
  signal: AbortSignal;
}
