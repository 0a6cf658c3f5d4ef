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
function toNative(name: string, sql: string): string {
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
  const source = db.client as ConnectionSource;
  const connection = await source.acquireConnection();
  if (!(connection instanceof pg.Client)) {
    await source.releaseConnection(connection);
    return (await db.raw<{ rows: R[] }>(sql, bindings as Knex.RawBinding[])).rows;
  }
  try {
    return (await connection.query<R & pg.QueryResultRow>({ name, text: toNative(name, sql), values: bindings })).rows;
  } finally {
    await source.releaseConnection(connection);
  }
}
