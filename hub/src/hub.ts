import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createAmqpBus, createCore, createDatabase, createEventStreamAccess, createMemoryBus, createRelay, createSecretBox, createSettingsStore, type Bus, type Core, type Database, type Relay } from '@uah/core';
import { createConnectorPlatform, defaultSearchPaths, type ConnectorPlatform } from './connectors/platform.js';
import { attachEventSocket, type EventSocketServer } from './event-socket.js';
import { serveDashboard } from './dashboard.js';
import type { HubConfig } from './config.js';
import { resolveAdminToken, resolveSecretKey } from './secrets.js';
import { createHttpTransport } from './webhooks/http-transport.js';
import { createDeliveryWorker, type DeliveryWorker } from './webhooks/delivery-worker.js';

export interface Hub {
  core: Core;
  /** The connector catalog, runtime and integrations. */
  connectors: ConnectorPlatform;
  server: Server;
  /** The live event stream (WebSocket on `/v1/organizations/{orgId}/events`). */
  eventSocket: EventSocketServer;
  /** Sends webhooks (see webhooks/delivery-worker.ts). */
  webhookWorker: DeliveryWorker;
  url: string;
  /** The admin token generated at this start, if none existed (printed once by the caller). */
  generatedAdminToken: string | undefined;
  stop(): Promise<void>;
}

/** A part of the shutdown running longer than this is named in a warning (and again at each such interval). */
const STOP_WARN_MS = 10_000;

export function createLogger(config: Pick<HubConfig, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'uah-hub' }, redact: { paths: ['req.headers.authorization', '*.apiKey', '*.secret', '*.password'], censor: '[redacted]' } });
}

/** Opens the store and the bus: PostgreSQL and RabbitMQ when configured, else the embedded defaults. */
export async function openInfrastructure(config: HubConfig, logger: Logger): Promise<{ db: Database; bus: Bus }> {
  const db = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await db.migrate();
    const bus = config.amqpUrl ? await createAmqpBus({ url: config.amqpUrl, logger }) : createMemoryBus({ logger });
    return { db, bus };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Starts everything the hub runs: HTTP, the outbox relay, and (later) the workers. */
export async function startHub(config: HubConfig, logger = createLogger(config)): Promise<Hub> {
  const { db, bus } = await openInfrastructure(config, logger);
  const secretBox = createSecretBox(resolveSecretKey(config.secretKey, config.dataDir));
  const webhookTransport = createHttpTransport({ policy: { allowPrivate: config.webhookAllowPrivate } });
  let url = '';
  const oauth = { publicUrl: () => config.publicUrl ?? url, returnUrl: config.oauthReturnUrl };
  const connectors = await createConnectorPlatform({ search: defaultSearchPaths(config), background: true, allowPrivate: config.webhookAllowPrivate, protectedPaths: [config.dataDir], oauth, syncTickMs: config.syncTickSeconds * 1000 }, { logger, secrets: secretBox });
  const admin = await resolveAdminToken(config.adminToken, createSettingsStore(db.knex));
  const core = createCore({
    knex: db.knex,
    bus,
    logger,
    adminToken: admin.verifier,
    rateLimit: { ...config.rateLimit, tiers: config.tierLimits },
    groupCommit: { enabled: config.groupCommit },
    mail: { smtpUrl: config.smtpUrl, outboxDir: join(config.dataDir, 'outbox') },
    webhooks: { transport: webhookTransport, secretBox, retentionDays: config.webhookRetentionDays, alerts: { disableAfterMs: config.webhookDisable.afterHours * 3_600_000, minFailures: config.webhookDisable.minFailures } },
    extraRoutes: (services, knex) => connectors.routes(services, knex),
  });
  const relay: Relay = createRelay({ knex: db.knex, bus, logger, embedded: db.embedded, signal: core.outboxSignal });
  relay.start();
  await core.start();
  const webhookWorker = createDeliveryWorker({ bus, deliveries: core.services.webhooks.deliveries, transport: webhookTransport, logger, queue: config.webhookQueue });
  await webhookWorker.start();
  await connectors.startEventRouting(bus, { queuePrefix: config.connectorQueuePrefix });
  connectors.startSyncScheduler();

  // The dashboard's page and assets, after the API's routes (which it never answers for).
  core.app.use(serveDashboard());
  const handle = core.app.callback();
  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5_000;
  const eventSocket = attachEventSocket({
    server,
    access: createEventStreamAccess({ apiKeys: core.services.apiKeys, sessions: core.services.sessions, rateLimiter: core.rateLimiter, tierLimits: core.tierLimits }),
    tail: core.services.eventTail,
    logger,
    metrics: core.metrics,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
  logger.info({ url, database: db.embedded ? 'embedded' : 'postgresql', bus: bus.kind }, 'hub started');

  /**
   * One part of the shutdown. A part still running after STOP_WARN_MS is named in a warning, and again at every
   * interval while it runs: a shutdown that hangs says on what.
   */
  async function step(part: string, run: () => Promise<void>): Promise<void> {
    const started = Date.now();
    const timer = setInterval(() => logger.warn({ part, waitingMs: Date.now() - started }, 'hub stop: still waiting'), STOP_WARN_MS);
    timer.unref();
    try {
      await run();
    } finally {
      clearInterval(timer);
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    core,
    connectors,
    server,
    eventSocket,
    webhookWorker,
    url,
    generatedAdminToken: admin.generated,
    stop() {
      stopping ??= (async () => {
        // Stop accepting, let in-flight requests finish (idle keep-alive sockets are closed), then drain.
        // Streams first: an upgraded socket would otherwise keep server.close() waiting.
        const streamsClosed = eventSocket.close();
        await step('the HTTP server', () => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }));
        await step('the event streams', () => streamsClosed);
        await step('the core (schedulers, event tail)', () => core.stop());
        await step('the webhook worker (deliveries in flight)', () => webhookWorker.stop());
        webhookTransport.close();
        await step('the connectors (workers, syncs, queues)', () => connectors.stop());
        await step('the event relay (batches awaiting confirms)', () => relay.stop());
        await step('the core (connections it holds)', () => core.close());
        await step('the bus', () => bus.close());
        await step('the database pool', () => db.close());
        logger.info('hub stopped');
      })();
      return stopping;
    },
  };
}
