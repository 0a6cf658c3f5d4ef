import type { Knex } from 'knex';
import { snakeCaseMappers } from 'objection';
import type { Event, EventListQuery, EventMetadata, EventType } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { createSettledWatermark } from './watermark.js';
import type { GroupCommit } from '../db/group-commit.js';
import { preparedQuery } from '../db/prepared.js';
import type { OutboxSignal } from './outbox-signal.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage, type Page } from '../http/paging.js';

/** An event about to be appended; id, version and timestamp are assigned by the store. */
export interface NewEvent {
  type: EventType;
  aggregateType: string;
  aggregateId: string;
  organizationId: string;
  data: { object: unknown; previousAttributes?: Record<string, unknown> };
}

interface EventRow {
  id: string;
  seq: number;
  organizationId: string;
  type: EventType;
  aggregateType: string;
  aggregateId: string;
  version: number;
  data: Event['data'];
  metadata: EventMetadata;
  timestamp: Date | string;
}

function camelizeKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

export function rowToEvent(row: EventRow): Event {
  return {
    id: row.id,
    object: 'event',
    type: row.type,
    aggregateId: row.aggregateId,
    aggregateType: row.aggregateType,
    organizationId: row.organizationId,
    data: row.data,
    metadata: row.metadata,
    version: row.version,
    timestamp: new Date(row.timestamp).toISOString(),
  };
}

export interface EventStore {
  /** Appends events inside the caller's transaction: they commit, or roll back, with the state change. */
  append(trx: Knex.Transaction, events: NewEvent[], metadata: EventMetadata): Promise<Event[]>;
  /**
   * Inserts a new aggregate's row and appends the event that announces it in ONE statement: one round trip,
   * atomic by itself (in autocommit, no BEGIN or COMMIT), or part of the unit of work's transaction when the
   * request has one. `row` is the complete row (keys are the model's property names, the columns their snake
   * case; plain objects are written as JSON, dates as ISO strings), so the event's object is built from it
   * before the statement and the row is not read back. The statement is prepared once per table and set of
   * columns. The event is the aggregate's first (version 1).
   */
  insertWithEvent(table: string, row: Record<string, unknown>, event: NewEvent, metadata: EventMetadata): Promise<void>;
  /** What `append` would write, for dry runs: ids and versions are not assigned. */
  preview(events: NewEvent[], metadata: EventMetadata): Array<Omit<Event, 'id' | 'version'>>;
  list(organizationId: string, query: EventListQuery): Promise<Page<Event>>;
  /** The organization's events in log order: after one event, or from (inclusive) to (exclusive) a time; at most `limit`. */
  scan(organizationId: string, range: EventRange, limit: number): Promise<Event[]>;
}

export interface EventRange {
  after?: string | undefined;
  from?: string | Date | undefined;
  to?: string | Date | undefined;
}

/**
 * How long a list request waits for transactions still running (ordinarily milliseconds) so that a
 * caller reads its own events; past it, the list answers with what has settled.
 */
const LIST_SETTLE_WAIT_MS = 1_000;

const toColumn = snakeCaseMappers().format;
const insertStatements = new Map<string, { name: string; sql: string }>();

/**
 * The statement of `insertWithEvent` for a table and its columns (property names, sorted), built once: the
 * row, then its event from the row inserted (so none is written if the insert writes nothing).
 */
function insertWithEventStatement(table: string, columns: string[]): { name: string; sql: string } {
  const key = `${table}(${columns.join(',')})`;
  let statement = insertStatements.get(key);
  if (!statement) {
    const names = Object.keys(toColumn(Object.fromEntries(columns.map((c) => [c, null])))).map((c) => `"${c}"`);
    statement = {
      name: `insert_with_event_${insertStatements.size}`,
      sql: `WITH inserted AS (INSERT INTO "${table}" (${names.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING 1)
            INSERT INTO events (id, organization_id, type, aggregate_type, aggregate_id, version, data, metadata)
            SELECT ?, ?, ?, ?, ?, 1, ?::jsonb, ?::jsonb FROM inserted`,
    };
    insertStatements.set(key, statement);
  }
  return statement;
}

/** A row's value as every driver takes it: a plain object (a jsonb column) as JSON text, a date as an ISO string. */
function columnValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}

/** `signal`, when given, hears of each transaction that appended events once it has committed (it wakes the relay). */
export function createEventStore(knex: Knex, signal?: OutboxSignal, group?: GroupCommit): EventStore {
  const watermark = createSettledWatermark(knex);
  return {
    async append(trx, events, metadata) {
      const stored: Event[] = [];
      for (const event of events) {
        const id = newId('evt');
        // JSON round trip: the stored data is exactly what JSON consumers will see (no Dates, no undefined).
        const data = JSON.parse(JSON.stringify(event.data)) as Event['data'];
        const result = await trx.raw<{ rows: EventRow[] }>(
          `INSERT INTO events (id, organization_id, type, aggregate_type, aggregate_id, version, data, metadata)
           SELECT ?, ?, ?, ?, ?, COALESCE(MAX(version), 0) + 1, ?::jsonb, ?::jsonb FROM events WHERE aggregate_id = ?
           RETURNING id, seq, organization_id, type, aggregate_type, aggregate_id, version, data, metadata, timestamp`,
          [id, event.organizationId, event.type, event.aggregateType, event.aggregateId, JSON.stringify(data), JSON.stringify(metadata), event.aggregateId],
        );
        const raw = result.rows[0] as unknown as Record<string, unknown> | undefined;
        if (!raw) throw new Error('event insert returned no row');
        // Rows of knex.raw are not passed through the snake_case → camelCase mapper.
        stored.push(rowToEvent(camelizeKeys(raw) as unknown as EventRow));
      }
      if (stored.length > 0) signal?.afterCommit(trx);
      return stored;
    },

    async insertWithEvent(table, row, event, metadata) {
      const columns = Object.keys(row).sort();
      const statement = insertWithEventStatement(table, columns);
      // Group-committed with concurrent writes outside a transaction: a new row shares no lock with anyone, so
      // its key, its own id, never keeps it out of a group.
      await preparedQuery(knex, statement.name, statement.sql, [
        ...columns.map((c) => columnValue(row[c])),
        newId('evt'), event.organizationId, event.type, event.aggregateType, event.aggregateId, JSON.stringify(event.data), JSON.stringify(metadata),
      ], { group, keys: [event.aggregateId] });
      // A property read, not `in`: the ambient knex answers it from the unit of work's transaction, if any.
      if ((knex as Knex.Transaction).isTransaction === true) signal?.afterCommit(knex as Knex.Transaction);
      else signal?.committed();
    },

    preview(events, metadata) {
      const timestamp = new Date().toISOString();
      return events.map((e) => ({ object: 'event' as const, ...e, data: JSON.parse(JSON.stringify(e.data)) as Event['data'], metadata, timestamp }));
    },

    async list(organizationId, query) {
      const limit = query.limit ?? 20;
      // Only settled events (see watermark.ts): a cursor past them can never skip one that commits later.
      const settled = await watermark.advance({ waitMs: LIST_SETTLE_WAIT_MS });
      if (settled === undefined) return { data: [], nextCursor: null };
      const q = knex<EventRow>('events').where('organization_id', organizationId).where('seq', '<=', settled).orderBy('seq', 'asc').limit(limit + 1);
      const cursor = decodeCursor(query.cursor);
      const after = cursor ?? query.after;
      if (after !== undefined) {
        const anchor = (await knex('events').select('seq').where({ organization_id: organizationId, id: after }).first()) as { seq: number } | undefined;
        if (!anchor) {
          throw new AppError('VALIDATION_FAILED', `No event ${after} in this organization.`, { errors: [{ field: cursor ? '/cursor' : '/after', in: 'query', message: 'unknown event id' }] });
        }
        q.where('seq', '>', anchor.seq);
      }
      if (query.types) q.whereIn('type', query.types.split(','));
      if (query.aggregateId) q.where('aggregate_id', query.aggregateId);
      const rows = await q;
      return toPage(rows, limit, (r) => r.id, rowToEvent);
    },

    async scan(organizationId, range, limit) {
      const q = knex<EventRow>('events').where('organization_id', organizationId).orderBy('seq', 'asc').limit(limit);
      if (range.after !== undefined) {
        const anchor = (await knex('events').select('seq').where({ organization_id: organizationId, id: range.after }).first()) as { seq: number } | undefined;
        if (!anchor) throw new AppError('VALIDATION_FAILED', `No event ${range.after} in this organization.`, { errors: [{ field: '/after', in: 'body', message: 'unknown event id' }] });
        q.where('seq', '>', anchor.seq);
      }
      if (range.from !== undefined) q.where('timestamp', '>=', new Date(range.from));
      if (range.to !== undefined) q.where('timestamp', '<', new Date(range.to));
      return (await q).map(rowToEvent);
    },
  };
}
