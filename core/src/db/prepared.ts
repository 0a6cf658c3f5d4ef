import type { Knex } from 'knex';
import pg from 'pg';
import type { GroupCommit } from './group-commit.js';

type Db = Knex | Knex.Transaction;

interface ConnectionSource {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

const nativeSql = new Map<string, string>();

/** knex's `?` placeholders as PostgreSQL's `$1, $2, ...` (the statements given here contain no other `?`). */
export function toNative(name: string, sql: string): string {
  let text = nativeSql.get(name);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    nativeSql.set(name, text);
  }
  return text;
}

/**
 * Runs a statement of a hot write path (a posting, a row created with its event) as a named prepared
 * statement on node-pg, so that PostgreSQL parses and plans it once per connection instead of at every call
 * (for the multi-CTE posting statement that is most of its cost), and the query goes to the driver without
 * knex's query building. In a transaction it runs on the transaction's connection. Outside one, given a
 * group commit that is on, it joins the next group (a transaction shared with concurrent statements,
 * answered after the shared COMMIT). On other drivers (the embedded PGlite) it is a plain `raw` query.
 */
export async function preparedQuery<R>(
  db: Db,
  name: string,
  sql: string,
  bindings: unknown[],
  options: { group?: GroupCommit | undefined; keys?: string[]; lock?: { name: string; text: string }; batch?: string } = {},
): Promise<R[]> {
  if (options.group?.enabled && !db.isTransaction) {
    const { keys, lock, batch } = options;
    return options.group.run<R>({ name, text: toNative(name, sql), values: bindings, ...(keys ? { keys } : {}), ...(lock ? { lock } : {}), ...(batch !== undefined ? { batch } : {}) });
  }
  return runPrepared<R>(db, name, toNative(name, sql), bindings, () => db.raw<{ rows: R[] }>(sql, bindings as Knex.RawBinding[]));
}

/** A statement written with knex's named bindings (`:name`, and `\\?` for a literal `?`), in PostgreSQL's form: `$n` for each name, every use of a name the same `$n`. */
export interface NamedStatement {
  name: string;
  sql: string;
  text: string;
  names: string[];
}

/** Prepares the native form of a statement with named bindings once, when it is defined. */
export function namedStatement(name: string, sql: string): NamedStatement {
  const names: string[] = [];
  // A name follows a single colon (`::type` casts are not bindings).
  const text = sql.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_, binding: string) => {
    const at = names.indexOf(binding);
    return `$${at === -1 ? names.push(binding) : at + 1}`;
  }).replace(/\\\?/g, '?');
  return { name, sql, text, names };
}

/** `preparedQuery` for a statement with named bindings (never part of a group commit). */
export async function preparedNamedQuery<R>(db: Db, statement: NamedStatement, bindings: Record<string, unknown>): Promise<R[]> {
  const missing = statement.names.filter((name) => !(name in bindings));
  if (missing.length > 0) throw new Error(`statement ${statement.name} lacks bindings: ${missing.join(', ')}`);
  const values = statement.names.map((name) => bindings[name]);
  return runPrepared<R>(db, statement.name, statement.text, values, () => db.raw<{ rows: R[] }>(statement.sql, bindings as Knex.ValueDict));
}

/** Runs a native statement by name on node-pg (parsed and planned once per connection), or `fallback` on other drivers. */
async function runPrepared<R>(db: Db, name: string, text: string, values: unknown[], fallback: () => Promise<{ rows: R[] }>): Promise<R[]> {
  const source = db.client as ConnectionSource;
  const connection = await source.acquireConnection();
  if (!(connection instanceof pg.Client)) {
    await source.releaseConnection(connection);
    return (await fallback()).rows;
  }
  try {
    return (await connection.query<R & pg.QueryResultRow>({ name, text, values })).rows;
  } finally {
    await source.releaseConnection(connection);
  }
}
