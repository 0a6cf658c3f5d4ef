import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Bus, CoreServices, Route, SecretBox } from '@uah/core';
import { createEventRouter, type EventRouter, type EventRouterOptions } from './event-router.js';
import { createBooks } from './books.js';
import { createCatalog, type Catalog } from './catalog.js';
import type { SearchPaths } from './discover.js';
import { createIntegrationService, type IntegrationService } from './integration-service.js';
import { createConnectorRoutes } from './routes.js';
import { createParkedEvents, type ParkedEvents } from './parked-events.js';
import { createParkedRoutes } from './parked-routes.js';
import { createSyncEngine, type SyncEngine } from './sync-engine.js';
import { createSyncRoutes } from './sync-routes.js';
import { createWebhookRoute } from './webhooks.js';
import { createOAuthService, type OAuthService } from './oauth/oauth-service.js';
import { createOAuthRoutes } from './oauth/oauth-routes.js';
import { createConnectorRuntime, DEFAULT_TIMEOUTS, type ConnectorRuntime } from './runtime.js';
import type { WorkerLimits } from './worker/connector-worker.js';
import type { HandlerKind } from './worker/protocol.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The repository's own `connectors/` and `node_modules`, the data folder's installs, and `CONNECTORS_PATH`. */
export function defaultSearchPaths(options: { dataDir: string; connectorsPath: string[] }): SearchPaths {
  return { builtinDir: join(repoRoot, 'connectors'), paths: options.connectorsPath, installedDir: join(options.dataDir, 'connectors'), nodeModulesDir: join(repoRoot, 'node_modules') };
}

export interface PlatformOptions {
  search: SearchPaths;
  limits?: WorkerLimits;
  timeouts?: Partial<Record<HandlerKind, number>>;
  loadTimeoutMs?: number;
  idleMs?: number;
  /** Load the catalog in the background: the hub starts serving while connectors import. */
  background?: boolean;
  /** How often the scheduler queues due syncs and runs queued ones. @default 30000 */
  syncTickMs?: number;
  /** Connectors may call loopback and private addresses (`WEBHOOK_ALLOW_PRIVATE`). @default false */
  allowPrivate?: boolean;
  /** The hub's own folders (its data folder: secret key, embedded database, mail outbox), closed to connectors' file calls. */
  protectedPaths?: string[];
  /**
   * OAuth2: the hub's public base URL, where providers send the browser back (`PUBLIC_URL`, read at each
   * authorization), and where the callback sends the browser on once the tokens are stored (`OAUTH_RETURN_URL`).
   */
  oauth?: { publicUrl: () => string; returnUrl?: string | undefined };
  /**
   * How long a running sync job's lease lasts without renewal: a job whose process died is taken over
   * by another process this long after its last renewal. @default 60000
   */
  syncLeaseMs?: number;
}

const SYNC_JOB = 'connectors.sync';

export interface ConnectorPlatform {
  catalog: Catalog;
  /** Available once `routes(services)` ran (the core's services exist then). */
  readonly runtime: ConnectorRuntime;
  readonly integrations: IntegrationService;
  readonly sync: SyncEngine;
  /** OAuth2 authorizations and the tokens of the integrations that use them. */
  readonly oauth: OAuthService;
  /** Routes the bus's events to the connectors' handlers (after `routes`). */
  startEventRouting(bus: Bus, options?: Partial<Pick<EventRouterOptions, 'queuePrefix' | 'concurrency' | 'maxAttempts' | 'retryDelaysMs'>>): Promise<EventRouter>;
  /** Queues due syncs and runs queued ones every `syncTickMs` (after `routes`; the core scheduler stops it). */
  startSyncScheduler(): void;
  /** Makes the runtime, the integrations and their routes over the core's services (CoreOptions.extraRoutes). */
  routes(services: CoreServices, knex: Knex): Route[];
  stop(): Promise<void>;
}

/** Loads the catalog, then (given the core's services) the runtime, the integrations and their routes. */
export async function createConnectorPlatform(options: PlatformOptions, deps: { logger: Logger; secrets: SecretBox }): Promise<ConnectorPlatform> {
  const limits = options.limits ?? { maxOldGenerationSizeMb: 128 };
  const loadTimeoutMs = options.loadTimeoutMs ?? 15_000;
  const catalog = await createCatalog({ search: options.search, limits, loadTimeoutMs, background: options.background ?? false, protectedPaths: options.protectedPaths ?? [] });
  void catalog.ready().then(() => {
    for (const entry of catalog.list().filter((e) => !e.available)) deps.logger.warn({ connectorId: entry.id, version: entry.version, dir: entry.dir, problem: entry.problem }, 'connector unavailable');
  });
  let runtime: ConnectorRuntime | undefined;
  let integrations: IntegrationService | undefined;
  let router: EventRouter | undefined;
  let stopped = false;
  /** Whether this process runs sync jobs (its scheduler started): then a job asked for by hand starts at once. */
  let syncRunning = false;
  let sync: SyncEngine | undefined;
  let oauth: OAuthService | undefined;
  let scheduler: CoreServices['scheduler'] | undefined;
  let parked: ParkedEvents | undefined;
  const need = <T>(value: T | undefined): T => {
    if (!value) throw new Error('the connector platform is used before the core was created');
    return value;
  };
  const runNow = (): void => {
    if (!syncRunning || stopped || !sync) return;
    void sync.runQueued().catch((error: unknown) => deps.logger.error({ err: error }, 'sync run failed'));
  };
  return {
    catalog,
    get runtime() {
      return need(runtime);
    },
    get integrations() {
      return need(integrations);
    },
    get sync() {
      return need(sync);
    },
    get oauth() {
      return need(oauth);
    },
    routes(services, knex) {
      const publicUrl = options.oauth?.publicUrl ?? (() => 'http://127.0.0.1:3000');
      oauth = createOAuthService({ knex, catalog, secrets: deps.secrets, allowPrivate: options.allowPrivate ?? false, publicUrl });
      runtime = createConnectorRuntime({
        catalog, books: createBooks(services), knex, logger: deps.logger, limits, loadTimeoutMs, allowPrivate: options.allowPrivate ?? false, protectedPaths: options.protectedPaths ?? [], tokens: oauth,
        timeouts: { ...DEFAULT_TIMEOUTS, ...(options.timeouts ?? {}) }, idleMs: options.idleMs ?? 5 * 60_000,
        onFailure: async (report) => {
          deps.logger.warn({ ...report }, 'connector handler failed');
          await integrations?.recordFailure(report);
        },
      });
      parked = createParkedEvents(knex);
      integrations = createIntegrationService({ knex, catalog, runtime, secrets: deps.secrets, parked });
      sync = createSyncEngine({ knex, catalog, integrations, runtime, events: services.events, books: services, logger: deps.logger, ...(options.syncLeaseMs ? { lease: { ms: options.syncLeaseMs } } : {}), onQueued: () => runNow() });
      scheduler = services.scheduler;
      return [
        ...createConnectorRoutes({ catalog, integrations }), ...createSyncRoutes(sync), createWebhookRoute({ knex, catalog, integrations, runtime }),
        ...createParkedRoutes({ parked, integrations, router: () => router }), ...createOAuthRoutes({ oauth, returnUrl: options.oauth?.returnUrl }),
      ];
    },
    async startEventRouting(bus, routing = {}) {
      router = createEventRouter({ bus, catalog, integrations: need(integrations), runtime: need(runtime), parked: need(parked), logger: deps.logger, ...routing });
      // Connectors found later (a background load, an install) get their queues; never after stop().
      catalog.onAdded(async () => {
        if (stopped) return;
        await router?.sync().catch((error: unknown) => {
          if (!stopped) deps.logger.error({ err: error }, 'connector event routing could not follow the catalog');
        });
      });
      await router.sync();
      return router;
    },
    startSyncScheduler() {
      const engine = need(sync);
      syncRunning = true;
      // Queuing what is due takes the scheduler's lock (one process at a time); the runs go on outside it,
      // each job claimed atomically, one per integration, data type and direction across processes.
      need(scheduler).every(SYNC_JOB, options.syncTickMs ?? 30_000, async () => {
        await engine.scheduleDue();
        void engine.runQueued().catch((error: unknown) => deps.logger.error({ err: error }, 'sync run failed'));
      });
    },
    async stop() {
      stopped = true;
      // Running sync jobs are handed back first: their calls are refused from now on and another process resumes them.
      await sync?.stop().catch((error: unknown) => deps.logger.warn({ err: error }, 'sync jobs could not be handed back; their leases will expire'));
      await router?.close();
      await runtime?.stop();
    },
  };
}
