import type { Knex } from 'knex';
import type { Event, WebhookAttempt, WebhookDelivery, WebhookDeliveryListQuery, WebhookReplay } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { notFound } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventRange, EventStore } from '../events/store.js';
import { WebhookDeliveryModel, WebhookEndpointModel, type AttemptRow } from './model.js';
import { matchesFilter } from './policy.js';
import { preparedNamedQuery } from '../db/prepared.js';
import { CLAIM, createSigner, INGEST, ingestInput, type LeasedRow } from './claim.js';
import type { ClaimedDelivery, WebhookResponse } from './transport.js';

export type { ClaimedDelivery } from './transport.js';
import { attemptRow, recordAttempt, recordDelivered, type AlertPolicy, type RecordResult } from './record.js';

/** Events a replay (or a re-enable) schedules at most in one call. */
export const REPLAY_LIMIT = 10_000;
/** Settled deliveries deleted per statement when pruning, so no statement holds many locks for long. */
const PRUNE_BATCH = 1_000;

/** Who leases, and what it has in flight itself. */
export interface LeaseHolder {
  /** The worker's id, kept on its leases. @default a new one for each call (then every lease counts as another's) */
  owner?: string;
  /** The worker's own attempts in flight per endpoint id; its leases are counted from this rather than from the table. */
  inFlight?: ReadonlyMap<string, number>;
  /** Endpoints the worker leases ahead for (they answer fast): each may have up to `window` leases rather than `perEndpoint`. */
  ahead?: { window: number; endpoints: readonly string[] };
}

export interface ClaimOptions extends LeaseHolder {
  /** Deliveries to take at most. */
  limit: number;
  /** Leases per endpoint at most, across every process (each an attempt in flight or about to be), beyond those of `ahead`. */
  perEndpoint: number;
}

export interface IngestOptions extends LeaseHolder {
  /** Leases per endpoint at most, across every process (each an attempt in flight or about to be), beyond those of `ahead`. */
  perEndpoint: number;
  /** Deliveries this process may lease now (its free attempt slots). */
  slots: number;
}

export interface Ingested {
  /** Deliveries created (those of a repeated event are not created again). */
  inserted: number;
  /** Those of them leased for their first attempt at once; the others wait for a claim. */
  claimed: ClaimedDelivery[];
  /** Endpoints of those that wait. */
  waiting: string[];
}

/** A ping sent by `POST /webhooks/{id}/test`, kept as a delivery of its own. */
export interface TestPing {
  organizationId: string;
  endpointId: string;
  deliveryId: string;
  eventId: string;
  body: string;
  response: WebhookResponse;
}

export interface DeliveryStore {
  /** Creates one PENDING delivery per active endpoint of the event's organization whose filter matches; a repeat of the event adds none. */
  enqueue(event: Event): Promise<number>;
  /** `enqueue` for a batch of events in one statement, leasing at once the deliveries that may go now (see `INGEST`). */
  ingest(events: readonly Event[], options: IngestOptions): Promise<Ingested>;
  /** Takes due deliveries for an attempt, endpoints and organizations in turn (see the migration for the lease). */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Gives back leases taken and not used (a worker stopping, or holding them too long to send in time): the deliveries are due again at once. */
  release(ids: readonly string[], owner: string): Promise<number>;
  /** Logs the attempt and moves the delivery (and the endpoint's failure count) on, in one transaction. */
  record(claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult>;
  /** `record` for many 2xx attempts at once, in one transaction; resolves with the ids recorded (the rest were STALE). */
  recordDelivered(done: Array<{ claimed: ClaimedDelivery; response: WebhookResponse }>): Promise<Set<string>>;
  list(organizationId: string, endpointId: string, query: WebhookDeliveryListQuery): Promise<Page<WebhookDelivery>>;
  get(organizationId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery>;
  redeliver(organizationId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery>;
  replay(endpoint: WebhookEndpointModel, range: WebhookReplay | EventRange): Promise<number>;
  countMissed(endpoint: WebhookEndpointModel, since: Date): Promise<number>;
  /** Logs a test ping as a settled delivery marked `test`, with its one attempt. */
  recordTest(ping: TestPing): Promise<void>;
  /** Deletes settled deliveries (and their attempts) last changed before `before`, in batches; resolves with the number deleted. */
  prune(before: Date): Promise<number>;
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

const holder = (options: LeaseHolder): { owner: string; here: string; ahead: string; window: number } => ({
  owner: options.owner ?? newId('wkr'),
  here: JSON.stringify(Object.fromEntries(options.inFlight ?? [])),
  ahead: JSON.stringify(options.ahead?.endpoints ?? []),
  window: options.ahead?.window ?? 0,
});

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toAttempt(row: AttemptRow): WebhookAttempt {
  return { number: row.number, startedAt: new Date(row.startedAt).toISOString(), statusCode: row.statusCode, durationMs: row.durationMs, responseBody: row.responseBody, error: row.error };
}

function toDelivery(row: WebhookDeliveryModel, attempts: AttemptRow[]): WebhookDelivery {
  return {
    id: row.id, object: 'webhook_delivery', organizationId: row.organizationId, endpointId: row.endpointId, eventId: row.eventId, eventType: row.eventType,
    status: row.status, test: row.test, attempts: attempts.map(toAttempt), nextAttemptAt: iso(row.nextAttemptAt), deliveredAt: iso(row.deliveredAt),
    createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createDeliveryStore(deps: DeliveryDeps): DeliveryStore {
  const { knex, secretBox, clock } = deps;
  const sign = createSigner(secretBox);

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

  const store: DeliveryStore = {
    async enqueue(event) {
      return (await store.ingest([event], { perEndpoint: 0, slots: 0 })).inserted;
    },

    async ingest(events, options) {
      if (events.length === 0) return { inserted: 0, claimed: [], waiting: [] };
      const now = clock();
      const rows = await preparedNamedQuery<LeasedRow & { leased: boolean }>(knex, INGEST, { events: ingestInput(events), now, perEndpoint: options.perEndpoint, slots: options.slots, ...holder(options) });
      const waiting = [...new Set(rows.filter((row) => !row.leased).map((row) => row.endpoint_id))];
      return { inserted: rows.length, claimed: rows.filter((row) => row.leased).map((row) => sign(row, now)), waiting };
    },

    async claimDue(options) {
      const now = clock();
      const rows = await preparedNamedQuery<LeasedRow>(knex, CLAIM, { now, perEndpoint: options.perEndpoint, limit: options.limit, ...holder(options) });
      return rows.map((row) => sign(row, now));
    },

    async release(ids, owner) {
      if (ids.length === 0) return 0;
      const released = await knex('webhook_deliveries').whereIn('id', [...ids]).where({ status: 'PENDING', lease_owner: owner }).update({ lease_until: null, lease_owner: null }).returning('id');
      return released.length;
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

    async recordTest(ping) {
      const now = clock();
      const { response } = ping;
      const delivered = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
      await knex.transaction(async (trx) => {
        await trx('webhook_deliveries').insert({
          id: ping.deliveryId, organization_id: ping.organizationId, endpoint_id: ping.endpointId, event_id: ping.eventId, event_type: 'webhook.test', body: ping.body,
          status: delivered ? 'DELIVERED' : 'FAILED', attempt_count: 1, round_attempts: 1, next_attempt_at: null, delivered_at: delivered ? now : null,
          event_timestamp: now, test: true, created_at: now, updated_at: now,
        });
        await trx('webhook_attempts').insert(attemptRow(ping.deliveryId, 1, response, now));
      });
    },

    async prune(before) {
      let deleted = 0;
      for (;;) {
        // Attempts go with their delivery (ON DELETE CASCADE).
        const oldest = knex('webhook_deliveries').select('id').whereNot('status', 'PENDING').where('updated_at', '<', before).orderBy('updated_at').limit(PRUNE_BATCH);
        // The embedded store's driver reports no row count for a plain DELETE, so count the returned ids.
        const removed = (await knex('webhook_deliveries').whereIn('id', oldest).del(['id'])) as unknown[];
        const count = removed.length;
        deleted += count;
        if (count < PRUNE_BATCH) return deleted;
      }
    },
  };
  return store;
}
