import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { SecretBox } from '../shared/secret-box.js';
import { createDeliveryStore, type DeliveryStore } from './delivery-store.js';
import { createWebhookEndpointService, type WebhookEndpointService } from './endpoint-service.js';
import { DEFAULT_ALERT_POLICY, type AlertPolicy } from './record.js';
import { createWebhookRoutes } from './routes.js';
import type { WebhookTransport } from './transport.js';
import type { Route } from '../http/route.js';

/** What the hub gives the webhooks context: how to reach endpoints, and the key that keeps their secrets. */
export interface WebhookOptions {
  transport: WebhookTransport;
  secretBox: SecretBox;
  /** When a failing endpoint is warned about and disabled. @default 24 h, 10 in a row */
  alerts?: Partial<AlertPolicy>;
  /** The time, for tests that move it. @default () => new Date() */
  clock?: () => Date;
  /** Settled deliveries (and their attempts) are kept this many days, then pruned by the scheduler. @default 30 */
  retentionDays?: number;
}

export interface Webhooks {
  endpoints: WebhookEndpointService;
  deliveries: DeliveryStore;
  routes: Route[];
  /** Deletes settled deliveries older than the retention period; resolves with the number deleted. */
  pruneSettled(): Promise<number>;
}

/** Hourly: settled deliveries past the retention period are deleted, in batches. */
export const WEBHOOK_RETENTION_JOB = 'webhooks.retention';
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function createWebhooks(deps: { knex: Knex; events: EventStore } & WebhookOptions): Webhooks {
  const clock = deps.clock ?? (() => new Date());
  const deliveries = createDeliveryStore({ knex: deps.knex, events: deps.events, secretBox: deps.secretBox, clock, alerts: { ...DEFAULT_ALERT_POLICY, ...(deps.alerts ?? {}) } });
  const endpoints = createWebhookEndpointService({ knex: deps.knex, secretBox: deps.secretBox, transport: deps.transport, deliveries, clock });
  const retentionMs = (deps.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  return {
    endpoints, deliveries, routes: createWebhookRoutes({ endpoints, deliveries }),
    pruneSettled: () => deliveries.prune(new Date(clock().getTime() - retentionMs)),
  };
}
