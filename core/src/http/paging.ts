import type { Model, QueryBuilder } from 'objection';
import { AppError } from './errors.js';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to callers: the base64url of the sort key of the last item of the page. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_:.-]{1,120}$/.test(key) || encodeCursor(key) !== cursor) {
    throw new AppError('INVALID_CURSOR', 'The cursor is not one this list returned.', { errors: [{ field: '/cursor', in: 'query', message: 'unknown cursor' }] });
  }
  return key;
}

/**
 * Keyset pagination over an ascending unique key: `rows` was fetched with `limit + 1` rows after the
 * cursor; the extra row only tells that there is a next page.
 */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => string, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(map), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
  /** `desc`: newest first. @default 'asc' */
  order?: 'asc' | 'desc';
}

/** Orders `builder` by its id column in the query's order and starts after the cursor. */
export function keysetAfter<B extends { orderBy(column: string, order: 'asc' | 'desc'): unknown; where(column: string, op: string, value: string): unknown }>(builder: B, query: PageQuery, idColumn: string): void {
  const order = query.order ?? 'asc';
  const after = decodeCursor(query.cursor);
  builder.orderBy(idColumn, order);
  if (after) builder.where(idColumn, order === 'desc' ? '<' : '>', after);
}

/**
 * One page of a list in id order, oldest first or with `order: 'desc'` newest first (ids are time-ordered
 * ULIDs): `builder` holds the tenant scope and the list's filters; this adds the cursor, the order and the limit.
 */
export async function fetchPage<M extends Model & { id: string }, T>(builder: QueryBuilder<M, M[]>, query: PageQuery, map: (row: M) => T, idColumn = 'id'): Promise<Page<T>> {
  const limit = query.limit ?? 20;
  keysetAfter(builder, query, idColumn);
  builder.limit(limit + 1);
  return toPage(await builder, limit, (r) => r.id, map);
}

/** Every item of a paged list, page after page: `read` is called with each `nextCursor` until there is none. */
export async function readAllPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
