import type { Knex } from 'knex';
import { AppError, type ParkedDelivery } from '@uah/core';
import type { Event, IntegrationStatus, ParkedEvent } from '@uah/schemas';

/**
 * Events a connector's handler kept failing on, parked in PostgreSQL rather than in the broker's parking
 * queue. An organization reads and retries its own parked events: a table can be read and changed per
 * organization and per event, where a queue can only be drained whole (every organization's messages,
 * racing the other hub processes) and never shows one message without taking it. RabbitMQ still does
 * the delivery and the delayed retries; a message whose row cannot be written goes to the parking queue
 * as before (see the bus's `park`), so nothing is lost.
 */
export interface ParkedEvents {
  /** The event router's `park`: records (or records again) the event for its organization. */
  record(connectorId: string, event: Event, parked: ParkedDelivery): Promise<void>;
  list(organizationId: string, connectorId: string): Promise<ParkedEvent[]>;
  summary(organizationId: string, connectorId: string): Promise<IntegrationStatus['parked']>;
  /**
   * Hands the organization's parked events (the ones named, else up to 100) to `send`, and marks them
   * RETRIED once it has resolved; nothing is marked if it throws. 404 when none of the named ones is parked.
   */
  retry(organizationId: string, connectorId: string, eventIds: string[] | undefined, send: (events: Event[]) => Promise<void>): Promise<ParkedEvent[]>;
}

interface Row {
  connectorId: string;
  eventId: string;
  organizationId: string;
  eventType: string;
  event: Event;
  status: ParkedEvent['status'];
  attempts: number;
  error: string;
  timesParked: number;
  parkedAt: Date;
  retriedAt: Date | null;
}

const MAX_RETRY = 100;

function toParked(row: Row): ParkedEvent {
  return {
    object: 'parked_event', eventId: row.eventId, eventType: row.eventType, organizationId: row.organizationId, connectorId: row.connectorId, status: row.status,
    attempts: row.attempts, timesParked: row.timesParked, error: row.error, parkedAt: new Date(row.parkedAt).toISOString(), retriedAt: row.retriedAt ? new Date(row.retriedAt).toISOString() : null,
  };
}

export function createParkedEvents(knex: Knex): ParkedEvents {
  const table = 'connector_parked_events';
  const parked = (org: string, connectorId: string): Knex.QueryBuilder => knex(table).where({ organization_id: org, connector_id: connectorId, status: 'PARKED' });
  return {
    async record(connectorId, event, delivery) {
      const values = { status: 'PARKED', attempts: delivery.attempts, error: delivery.error.slice(0, 2000), parked_at: knex.fn.now(), retried_at: null };
      await knex(table)
        .insert({ connector_id: connectorId, event_id: event.id, organization_id: event.organizationId, event_type: event.type, event: JSON.stringify(event), ...values })
        .onConflict(['connector_id', 'event_id'])
        // A redelivery of a message already recorded (the ack was lost) counts once; a retry that failed again counts again.
        .merge({ ...values, times_parked: knex.raw(`${table}.times_parked + CASE WHEN ${table}.status = 'RETRIED' THEN 1 ELSE 0 END`) });
    },
    async list(org, connectorId) {
      return ((await parked(org, connectorId).orderBy('parked_at', 'desc').orderBy('event_id').limit(100)) as Row[]).map(toParked);
    },
    async summary(org, connectorId) {
      const count = await parked(org, connectorId).count<Array<{ count: string | number }>>({ count: '*' }).first();
      const latest = (await parked(org, connectorId).orderBy('parked_at', 'desc').orderBy('event_id').limit(5)) as Row[];
      return { count: Number(count?.count ?? 0), latest: latest.map(toParked) };
    },
    async retry(org, connectorId, eventIds, send) {
      return knex.transaction(async (trx) => {
        // Locked while they are sent, so two retries of the same event do not both send it.
        const query = trx(table).where({ organization_id: org, connector_id: connectorId, status: 'PARKED' }).orderBy('parked_at').limit(MAX_RETRY).forUpdate().skipLocked();
        if (eventIds) query.whereIn('event_id', eventIds);
        const rows = (await query) as Row[];
        if (rows.length === 0 && eventIds) throw new AppError('NOT_FOUND', 'None of these events is parked for this integration.');
        if (rows.length === 0) return [];
        await send(rows.map((r) => r.event));
        const done = (await trx(table).where({ connector_id: connectorId }).whereIn('event_id', rows.map((r) => r.eventId)).update({ status: 'RETRIED', retried_at: trx.fn.now() }).returning('*')) as Row[];
        return done.map(toParked);
      });
    },
  };
}
