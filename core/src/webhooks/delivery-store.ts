import type { Knex } from 'knex';
import type { Event, WebhookAttempt, WebhookDelivery, WebhookDeliveryListQuery, WebhookReplay } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { notFound } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventRange, EventStore } from '../events/store.js';
import { WebhookDeliveryModel, WebhookEndpointModel, type AttemptRow } from './model.js';
import { matchesFilter } from './policy.js';
import { signatureHeaders } from './signing.js';
import type { ClaimedDelivery, WebhookResponse } from './transport.js';

export type { ClaimedDelivery } from './transport.js';
import { recordAttempt, recordDelivered, type AlertPolicy, type RecordResult } from './record.js';

/** Events a replay (or a re-enable) schedules at most in one call. */
export const REPLAY_LIMIT = 10_000;
/** How long past its timeout an attempt in flight keeps its lease before another process may take it over. */
const LEASE_MARGIN_MS = 30_000;
/** Due deliveries looked at per claim, among which endpoints and organizations take turns. */
const CLAIM_SCAN = 1_000;

export interface ClaimOptions {
  /** Deliveries to take at most. */
  limit: number;
  /** Attempts in flight per endpoint at most, across every process. */
  perEndpoint: number;
}

export interface DeliveryStore {
  /** Creates one PENDING delivery per active endpoint of the event's organization whose filter matches; a repeat of the event adds none. */
  enqueue(event: Event): Promise<number>;
  /** Takes due deliveries for an attempt, endpoints and organizations in turn (see the migration for the lease). */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Logs the attempt and moves the delivery (and the endpoint's failure count) on, in one transaction. */
  record(claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult>;
  /** `record` for many 2xx attempts at once, in one transaction; resolves with the ids recorded (the rest were STALE). */
  recordDelivered(done: Array<{ claimed: ClaimedDelivery; response: WebhookResponse }>): Promise<Set<string>>;
  list(organizationId: string, endpointId: string, query: WebhookDeliveryListQuery): Promise<Page<WebhookDelivery>>;
  get(organizationId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery>;
  redeliver(organizationId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery>;
  replay(endpoint: WebhookEndpointModel, range: WebhookReplay | EventRange): Promise<number>;
  countMissed(endpoint: WebhookEndpointModel, since: Date): Promise<number>;
  /** Where an endpoint's missed events begin: its failure streak (or its disabling), or the oldest event it failed on since then. */
  missedSince(endpoint: WebhookEndpointModel): Promise<Date | null>;
}

export interface DeliveryDeps {
  knex: Knex;
  events: Pick<EventStore, 'scan' | 'append'>;
  secretBox: SecretBox;
  clock: () => Date;
  alerts: AlertPolicy;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toAttempt(row: AttemptRow): WebhookAttempt {
  return { number: row.number, startedAt: new Date(row.startedAt).toISOString(), statusCode: row.statusCode, durationMs: row.durationMs, responseBody: row.responseBody, error: row.error };
}

function toDelivery(row: WebhookDeliveryModel, attempts: AttemptRow[]): WebhookDelivery {
  return {
    id: row.id, object: 'webhook_delivery', organizationId: row.organizationId, endpointId: row.endpointId, eventId: row.eventId, eventType: row.eventType,
    status: row.status, attempts: attempts.map(toAttempt), nextAttemptAt: iso(row.nextAttemptAt), deliveredAt: iso(row.deliveredAt),
    createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

interface ClaimRow {
  id: string; organization_id: string; endpoint_id: string; event_id: string; event_type: string; body: string; attempt_count: number;
  url: string; headers: Record<string, string>; timeout_ms: number; secret_sealed: string; previous_secret_sealed: string | null; previous_secret_expires_at: Date | null;
}

/** Ranks due deliveries so each endpoint stays within its slots and organizations take turns; then locks and leases them. */
const CLAIM_SQL = `
WITH inflight AS (
  SELECT endpoint_id, count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING' AND lease_until > :now GROUP BY endpoint_id
), due AS (
  SELECT d.id, d.organization_id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
  JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'ACTIVE'
  WHERE d.status = 'PENDING' AND d.next_attempt_at <= :now AND (d.lease_until IS NULL OR d.lease_until <= :now)
  ORDER BY d.next_attempt_at LIMIT ${CLAIM_SCAN}
), ranked AS (
  SELECT due.*, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS endpoint_rank,
         row_number() OVER (PARTITION BY organization_id ORDER BY next_attempt_at, id) AS org_rank
  FROM due
), chosen AS (
  SELECT r.id FROM ranked r LEFT JOIN inflight i ON i.endpoint_id = r.endpoint_id
  WHERE r.endpoint_rank + COALESCE(i.n, 0) <= :perEndpoint ORDER BY r.org_rank, r.next_attempt_at LIMIT :limit
), locked AS (
  SELECT d.id FROM webhook_deliveries d WHERE d.id IN (SELECT id FROM chosen) AND d.status = 'PENDING' AND (d.lease_until IS NULL OR d.lease_until <= :now)
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET lease_until = :now::timestamptz + make_interval(secs => (e.timeout_ms + ${LEASE_MARGIN_MS}) / 1000.0)
FROM webhook_endpoints e WHERE d.id IN (SELECT id FROM locked) AND e.id = d.endpoint_id
RETURNING d.id, d.organization_id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempt_count, e.url, e.headers, e.timeout_ms, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at`;

/** One delivery per active endpoint of the organization whose filter names the type, its kind's wildcard or `*`. */
const ENQUEUE_SQL = `
INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, body, status, next_attempt_at, event_timestamp, created_at, updated_at)
SELECT ? || lpad(to_hex(row_number() OVER (ORDER BY e.id)), 3, '0'), e.organization_id, e.id, ?, ?, ?, 'PENDING', ?, ?, ?, ?
FROM webhook_endpoints e
WHERE e.organization_id = ? AND e.status = 'ACTIVE' AND e.events \\?| ARRAY[?, ?, ?]
ON CONFLICT (endpoint_id, event_id) DO NOTHING
RETURNING id`;

export function createDeliveryStore(deps: DeliveryDeps): DeliveryStore {
  const { knex, secretBox, clock } = deps;
  /** Opened secrets by sealed value: opening is cheap, but not at a thousand deliveries a second. */
  const opened = new Map<string, string>();
  const open = (sealed: string): string => {
    let secret = opened.get(sealed);
    if (secret === undefined) {
      if (opened.size > 10_000) opened.clear();
      secret = secretBox.open(sealed);
      opened.set(sealed, secret);
    }
    return secret;
  };

  function toClaimed(row: ClaimRow, now: Date): ClaimedDelivery {
    const secrets = [open(row.secret_sealed)];
    if (row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) secrets.push(open(row.previous_secret_sealed));
    const signed = signatureHeaders({ id: row.id, timestamp: Math.floor(now.getTime() / 1000), body: row.body, eventType: row.event_type, secrets });
    return {
      id: row.id, organizationId: row.organization_id, endpointId: row.endpoint_id, eventId: row.event_id, eventType: row.event_type, attemptNumber: row.attempt_count + 1,
      request: { url: row.url, headers: { ...row.headers, 'content-type': 'application/json', ...signed }, body: row.body, timeoutMs: row.timeout_ms },
    };
  }

  async function attemptsOf(ids: string[]): Promise<Map<string, AttemptRow[]>> {
    const rows = ids.length === 0 ? [] : ((await knex('webhook_attempts').whereIn('delivery_id', ids).orderBy(['delivery_id', 'number'])) as AttemptRow[]);
    const byDelivery = new Map<string, AttemptRow[]>();
    for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row]);
    return byDelivery;
  }

  /** Schedules the events that match the endpoint now; a delivery that exists goes back to PENDING with its id and a fresh round. */
  async function schedule(endpoint: WebhookEndpointModel, events: Event[]): Promise<number> {
    const now = clock();
    const rows = events.filter((event) => matchesFilter(endpoint.events, event.type)).map((event) => ({
      id: newId('msg'), organization_id: endpoint.organizationId, endpoint_id: endpoint.id, event_id: event.id, event_type: event.type,
      body: JSON.stringify(event), status: 'PENDING', next_attempt_at: now, event_timestamp: new Date(event.timestamp), created_at: now, updated_at: now,
    }));
    let count = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const done = await knex('webhook_deliveries').insert(rows.slice(i, i + 500)).onConflict(['endpoint_id', 'event_id'])
        .merge({ status: 'PENDING', next_attempt_at: now, round_attempts: 0, delivered_at: null, lease_until: null, updated_at: now }).returning('id');
      count += done.length;
    }
    return count;
  }

  async function find(organizationId: string, endpointId: string, deliveryId: string, trx?: Knex.Transaction): Promise<WebhookDeliveryModel> {
    const row = await WebhookDeliveryModel.forOrganization(organizationId, trx ?? knex).where('endpoint_id', endpointId).findById(deliveryId);
    if (!row) throw notFound('webhook delivery', deliveryId);
    return row;
  }

  return {
    async enqueue(event) {
      const now = clock();
      const kind = event.type.split('.')[0] ?? event.type;
      const bindings = [newId('msg'), event.id, event.type, JSON.stringify(event), now, new Date(event.timestamp), now, now, event.organizationId, '*', event.type, `${kind}.*`];
      return (await knex.raw<{ rows: unknown[] }>(ENQUEUE_SQL, bindings)).rows.length;
    },

    async claimDue(options) {
      const now = clock();
      const result = await knex.raw<{ rows: ClaimRow[] }>(CLAIM_SQL, { now, perEndpoint: options.perEndpoint, limit: options.limit });
      return result.rows.map((row) => toClaimed(row, now));
    },

    record(claimed, response) {
      return recordAttempt({ knex, events: deps.events, clock, alerts: deps.alerts }, claimed, response);
    },

    recordDelivered(done) {
      return recordDelivered({ knex, clock }, done);
    },

    async list(organizationId, endpointId, query) {
      await WebhookEndpointModel.findInOrganization(organizationId, endpointId, 'webhook endpoint', knex);
      const q = WebhookDeliveryModel.forOrganization(organizationId, knex).where('endpoint_id', endpointId);
      if (query.status) q.where('status', query.status);
      if (query.eventId) q.where('event_id', query.eventId);
      const page = await fetchPage(q, query, (row) => row);
      const attempts = await attemptsOf(page.data.map((row) => row.id));
      return { data: page.data.map((row) => toDelivery(row, attempts.get(row.id) ?? [])), nextCursor: page.nextCursor };
    },

    async get(organizationId, endpointId, deliveryId) {
      const row = await find(organizationId, endpointId, deliveryId);
      return toDelivery(row, (await attemptsOf([row.id])).get(row.id) ?? []);
    },

    async redeliver(organizationId, endpointId, deliveryId) {
      const row = await knex.transaction(async (trx) => {
        await find(organizationId, endpointId, deliveryId, trx);
        const now = clock();
        return WebhookDeliveryModel.forOrganization(organizationId, trx).patchAndFetchById(deliveryId, { status: 'PENDING', nextAttemptAt: now, roundAttempts: 0, deliveredAt: null, leaseUntil: null, updatedAt: now });
      });
      return toDelivery(row, (await attemptsOf([row.id])).get(row.id) ?? []);
    },

    async replay(endpoint, range) {
      const events = await deps.events.scan(endpoint.organizationId, range, REPLAY_LIMIT);
      return schedule(endpoint, events);
    },

    async missedSince(endpoint) {
      const start = endpoint.failingSince ?? endpoint.disabledAt;
      if (!start) return null;
      const row = (await knex('webhook_deliveries').where('endpoint_id', endpoint.id).whereNot('status', 'DELIVERED').where('updated_at', '>=', start).min({ oldest: 'event_timestamp' }).first()) as { oldest: Date | null } | undefined;
      return row?.oldest && new Date(row.oldest) < new Date(start) ? new Date(row.oldest) : new Date(start);
    },

    async countMissed(endpoint, since) {
      const events = await deps.events.scan(endpoint.organizationId, { from: since }, REPLAY_LIMIT);
      return events.filter((event) => matchesFilter(endpoint.events, event.type)).length;
    },
  };
}
