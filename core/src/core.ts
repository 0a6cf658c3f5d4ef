import type { OrganizationTier } from '@uah/schemas';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Koa from 'koa';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createApp } from './http/app.js';
import { createMetrics, type HttpMetrics } from './http/metrics.js';
import { buildOpenApi } from './http/openapi.js';
import { createRateLimiter, type RateLimitOptions, type RateLimiter } from './http/rate-limit.js';
import { createIdempotency, purgeExpiredIdempotencyKeys, type IdempotencyFaults } from './http/idempotency.js';
import { ambientKnex } from './db/ambient.js';
import { PUBLISHED_THROUGH } from './events/relay.js';
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from './db/group-commit.js';
import type { Route } from './http/route.js';
import type { AdminTokenVerifier } from './auth/authenticate.js';
import { createApiKeyService, type ApiKeyService } from './auth/api-key-service.js';
import { createOrganizationService, type OrganizationService } from './auth/organization-service.js';
import { tierLimits, type TierLimits } from './auth/tiers.js';
import { createAuthRoutes } from './auth/routes.js';
import { createSessionService, DEFAULT_SESSION_TTL_MS, type SessionService } from './auth/session-service.js';
import { createSessionRoutes } from './auth/session-routes.js';
import { createCustomerService, type CustomerService } from './customers/service.js';
import { createCustomerRoutes } from './customers/routes.js';
import { createEventStore, type EventStore } from './events/store.js';
import { createOutboxSignal, type OutboxSignal } from './events/outbox-signal.js';
import { createEventRoutes } from './events/routes.js';
import { createEventTail, type EventTail } from './events/stream.js';
import type { Bus } from './events/bus.js';
import { createSystemRoutes } from './system/routes.js';
import { createLedgerService, type LedgerService } from './ledger/service.js';
import { createLedgerRoutes } from './ledger/routes.js';
import { createPaymentService, type PaymentService } from './payments/service.js';
import { createPaymentRoutes } from './payments/routes.js';
import { createPayoutService, type PayoutService } from './payments/payout-service.js';
import { createPayoutRoutes } from './payments/payout-routes.js';
import { createReportService, type ReportService } from './reports/service.js';
import { createReportRoutes } from './reports/routes.js';
import { createCatalog } from './catalog/catalog.js';
import type { ProductService } from './catalog/product-service.js';
import type { TaxRateService } from './catalog/tax-rate-service.js';
import { createSales, SALES_JOBS, scheduleSalesJobs } from './sales/sales.js';
import type { InvoiceService } from './sales/invoice-service.js';
import type { QuoteService } from './sales/quote-service.js';
import type { CreditNoteService } from './sales/credit-note-service.js';
import type { InvoiceSettingsService } from './sales/numbering.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { createInventory, type Inventory } from './inventory/inventory.js';
import { createPurchasing, type Purchasing } from './purchasing/purchasing.js';
import { createBillOpenItemSources } from './purchasing/bank-matching.js';
import { createTransfer } from './transfer/transfer.js';
import { createBanking, type Banking } from './banking/banking.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { createProjects, type Projects } from './projects/projects.js';
import { createSecretBox } from './shared/secret-box.js';
import { createWebhooks, WEBHOOK_RETENTION_JOB, type WebhookOptions, type Webhooks } from './webhooks/webhooks.js';
import { UNCONFIGURED_TRANSPORT } from './webhooks/transport.js';

/** Hourly: idempotency records past their replay window are deleted. */
const IDEMPOTENCY_PURGE_JOB = 'http.idempotency-purge';

export interface CoreOptions {
  knex: Knex;
  bus: Bus;
  logger: Logger;
  adminToken: AdminTokenVerifier;
  /** A key's requests per window (and the window); `tiers`: each tier's requests per window for a whole organization (see auth/tiers.ts). */
  rateLimit?: RateLimitOptions & { tiers?: Partial<Record<OrganizationTier, number>> };
  /** Routes contributed from outside the core (the hub's connectors and integrations), or a function of the services that makes them. */
  extraRoutes?: Route[] | ((services: CoreServices, knex: Knex) => Route[]);
  version?: string;
  /** Outgoing mail: SMTP when `smtpUrl` is set, else .eml files in `outboxDir` (default `$DATA_DIR/outbox`, `.data/outbox`). */
  mail?: { smtpUrl?: string | undefined; outboxDir: string; from?: string | undefined };
  /** The database is the embedded one (one connection, one process); detected from the knex client when not given. */
  embedded?: boolean;
  /** Tests only: failures injected around the commit of idempotent requests. */
  idempotencyFaults?: IdempotencyFaults;
  /**
   * Group commit of the writes that are one statement each, outside a request's transaction: journal entries
   * posted without an Idempotency-Key, new customers and vendors (off unless `enabled`, which the hub is by
   * default; always off on the embedded store). `faults` are for tests only.
   */
  groupCommit?: Partial<GroupCommitOptions>;
  /** How long a dashboard session lasts from sign-in (default 12 hours). */
  sessionTtlMs?: number;
  /** Webhook delivery: the transport (with the URL guard) and the secret box, from the hub. Without it no endpoint can be registered. */
  webhooks?: WebhookOptions;
}

export interface CoreServices {
  organizations: OrganizationService;
  apiKeys: ApiKeyService;
  /** Dashboard sessions (cookies made from API keys). */
  sessions: SessionService;
  customers: CustomerService;
  events: EventStore;
  /** The live event stream's tailer (one per process; polls only while someone is subscribed). */
  eventTail: EventTail;
  ledger: LedgerService;
  products: ProductService;
  taxRates: TaxRateService;
  invoices: InvoiceService;
  quotes: QuoteService;
  creditNotes: CreditNoteService;
  invoiceSettings: InvoiceSettingsService;
  payments: PaymentService;
  /** Payouts recorded by payment connectors (processor balance → bank). */
  payouts: PayoutService;
  reports: ReportService;
  banking: Banking;
  mailer: Mailer;
  scheduler: Scheduler;
  /** Projects, milestones, time, timesheets and payroll. */
  projects: Omit<Projects, 'routes'>;
  purchasing: Omit<Purchasing, 'routes'>;
  inventory: Omit<Inventory, 'routes'>;
  webhooks: Webhooks;
}

export interface Core {
  app: Koa;
  services: CoreServices;
  routes: Route[];
  metrics: HttpMetrics;
  rateLimiter: RateLimiter;
  /** Group commit of the API's single-statement writes (see db/group-commit.ts); `stats()` for benchmarks. */
  groupCommit: GroupCommit;
  /** Requests per window of each organization tier. */
  tierLimits: TierLimits;
  /** Hears of committed events: give it to the relay (`createRelay({ signal })`) so it publishes them at once. */
  outboxSignal: OutboxSignal;
  openapi(): Record<string, unknown>;
  /** Starts the background jobs (schedulers); the hub calls it, tests usually run jobs directly. */
  start(): Promise<void>;
  /** Stops the background jobs, letting a run in progress finish. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 1000, windowSeconds: 10 };

/** Assembles the bounded contexts, their routes and the HTTP platform around one database and bus. */
export function createCore(options: CoreOptions): Core {
  const { bus, logger } = options;
  // Services query through the ambient knex, so a keyed request's writes and its stored answer share one
  // transaction; background work (schedulers, counters, the stream) keeps the root one.
  const root = options.knex;
  const knex = ambientKnex(root);
  const embedded = options.embedded ?? (root.client as { config?: { client?: unknown } }).config?.client !== 'pg';
  const outboxSignal = createOutboxSignal({ knex: root, logger, embedded });
  const { enabled: groupEnabled, ...groupOptions } = options.groupCommit ?? {};
  const group = createGroupCommit(root, { ...groupOptions, enabled: !embedded && groupEnabled === true });
  const events = createEventStore(knex, outboxSignal, group);
  const apiKeys = createApiKeyService({ knex });
  const rateLimitOptions = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limits = tierLimits(rateLimitOptions.limit, rateLimitOptions.windowSeconds, options.rateLimit?.tiers);
  const organizations = createOrganizationService({ knex, apiKeys, limits });
  const sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = createSessionService({ knex, ttlMs: sessionTtlMs });
  const customers = createCustomerService({ knex, events, organizations });
  const ledger = createLedgerService({ knex, events, organizations, group });
  const mailer = createMailer(options.mail ?? { outboxDir: join(process.env['DATA_DIR'] || '.data', 'outbox') });
  const scheduler = createScheduler({ knex: root, logger, embedded });
  const catalog = createCatalog({ knex, events, organizations, ledger });
  const inventory = createInventory({ knex, events, organizations, ledger, products: catalog.products });
  const sales = createSales({ knex, events, organizations, customers, ledger, products: catalog.products, taxRates: catalog.taxRates, mailer, inventory: inventory.inventory });
  const purchasing = createPurchasing({ knex, events, organizations, ledger, products: catalog.products, taxRates: catalog.taxRates, inventory: inventory.inventory });
  const payments = createPaymentService({ knex, events, organizations, customers, ledger, invoices: sales.invoices });
  const payouts = createPayoutService({ knex, events, organizations, ledger });
  // Bank debits are matched to the purchasing context's bills and bill payments, through its services.
  const billSources = createBillOpenItemSources({ bills: purchasing.bills, billPayments: purchasing.billPayments, vendors: purchasing.vendors });
  const banking = createBanking({ knex, events, organizations, customers, ledger, payments, payouts, invoices: sales.invoices, extraSources: billSources });
  const reports = createReportService({ organizations, customers, ledger, invoices: sales.invoices, bills: purchasing.bills, vendors: purchasing.vendors });
  const { routes: projectRoutes, ...projects } = createProjects({ knex, events, organizations, customers, ledger, invoices: sales.invoices });
  const webhooks = createWebhooks({ knex, events, ...(options.webhooks ?? { transport: UNCONFIGURED_TRANSPORT, secretBox: createSecretBox(randomBytes(32)) }) });
  const services: CoreServices = {
    organizations, apiKeys, sessions, customers, events, eventTail: createEventTail({ knex: root, logger }), ledger,
    products: catalog.products, taxRates: catalog.taxRates, invoices: sales.invoices, quotes: sales.quotes, creditNotes: sales.creditNotes, invoiceSettings: sales.invoiceSettings,
    payments, payouts, reports, banking, mailer, scheduler, projects, purchasing, inventory, webhooks,
  };

  const metrics = createMetrics();
  metrics.gauge('uah_outbox_lag_events', 'Committed events not yet published to the bus.', [], async () => {
    const row = await root('events').where('seq', '>', root.raw(PUBLISHED_THROUGH)).count<{ count: string | number }[]>({ count: '*' }).first();
    return [{ value: Number(row?.count ?? 0) }];
  });
  metrics.gauge('uah_outbox_lag_seconds', 'Age of the oldest event not yet published.', [], async () => {
    const row = (await root.raw<{ rows: Array<{ age: number | null }> }>(`SELECT EXTRACT(EPOCH FROM now() - MIN(timestamp))::float8 AS age FROM events WHERE seq > ${PUBLISHED_THROUGH}`)).rows[0];
    return [{ value: row?.age ?? 0 }];
  });
  metrics.gauge('uah_webhook_deliveries_pending', 'Webhook deliveries waiting for an attempt or a retry.', [], async () => {
    const row = await knex('webhook_deliveries').where('status', 'PENDING').count<{ count: string | number }[]>({ count: '*' }).first();
    return [{ value: Number(row?.count ?? 0) }];
  });
  metrics.gauge('uah_queue_messages', 'Messages waiting in each queue of the bus.', ['queue'], async () =>
    (await bus.queueDepths().catch(() => [])).map((d) => ({ labels: { queue: d.queue }, value: d.messages })),
  );

  const rateLimiter = createRateLimiter({ limit: rateLimitOptions.limit, windowSeconds: rateLimitOptions.windowSeconds, ...(rateLimitOptions.flushMs ? { flushMs: rateLimitOptions.flushMs } : {}), knex: root, logger });
  let document: Record<string, unknown> | undefined;
  const openapi = (): Record<string, unknown> => (document ??= buildOpenApi(routes, { title: 'Universal Accounting Hub API', version: options.version ?? '0.1.0' }));
  const routes: Route[] = [
    ...createSystemRoutes({ knex, bus, metrics, openapi }),
    ...createAuthRoutes({ organizations, apiKeys }),
    ...createSessionRoutes({ sessions, ttlSeconds: Math.floor(sessionTtlMs / 1000) }),
    ...createCustomerRoutes(customers),
    ...createEventRoutes(events),
    ...createLedgerRoutes(ledger),
    ...catalog.routes,
    ...sales.routes,
    ...createPaymentRoutes(payments),
    ...createPayoutRoutes(payouts),
    ...createReportRoutes(reports),
    ...projectRoutes,
    ...purchasing.routes,
    ...inventory.routes,
    ...createTransfer({ knex, events, services }).routes,
    ...banking.routes,
    ...webhooks.routes,
    ...(typeof options.extraRoutes === 'function' ? options.extraRoutes(services, knex) : (options.extraRoutes ?? [])),
  ];
  /** Background jobs of the contexts (schedulers), started by `start()`. */
  const backgroundJobs: Array<{ start(): void; stop(): Promise<void> }> = [];
  let jobsScheduled = false;
  backgroundJobs.push({
    start() {
      if (!jobsScheduled) {
        scheduleSalesJobs(scheduler, sales);
        scheduler.every(IDEMPOTENCY_PURGE_JOB, 60 * 60 * 1000, async () => {
          await purgeExpiredIdempotencyKeys(root);
        });
        scheduler.every(WEBHOOK_RETENTION_JOB, 60 * 60 * 1000, async () => {
          await webhooks.pruneSettled();
        });
      }
      jobsScheduled = true;
      // Catch up at start-up (a restart must not wait a whole interval); failures are logged by the scheduler.
      for (const job of [...SALES_JOBS, IDEMPOTENCY_PURGE_JOB, WEBHOOK_RETENTION_JOB]) void scheduler.runNow(job);
    },
    stop: () => scheduler.stop(),
  });
  const app = createApp({ routes, logger, metrics, apiKeys, sessions, adminToken: options.adminToken, rateLimiter, tierLimits: limits, withIdempotency: createIdempotency({ knex: root, ...(options.idempotencyFaults ? { faults: options.idempotencyFaults } : {}) }) });
  return {
    app,
    services,
    routes,
    metrics,
    rateLimiter,
    groupCommit: group,
    tierLimits: limits,
    outboxSignal,
    openapi,
    async start() {
      for (const job of backgroundJobs) job.start();
    },
    async stop() {
      await Promise.all(backgroundJobs.map((job) => job.stop()));
    },
    async close() {
      await services.eventTail.close();
      await rateLimiter.close();
    },
  };
}
