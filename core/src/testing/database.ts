import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '../db/database.js';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabase = Database & { name: string; url: string; schema: string };

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Runs the migrations one by one up to and with `version` (`'0017'`): a later migration's test on books that exist. */
async function migrateUpTo(db: Database, version: string): Promise<void> {
  while ((await db.knex.migrate.currentVersion()) !== version) {
    const [, pending] = (await db.knex.migrate.list()) as [unknown[], unknown[]];
    if (pending.length === 0) throw new Error(`no migration ${version}`);
    await db.knex.migrate.up();
  }
}

/**
 * A migrated database of the test file's own on the test PostgreSQL server, dropped on close: test files
 * run in parallel without seeing each other's rows or each other's running transactions. With `upTo`, migrated
 * only that far.
 */
export async function createTestDatabase(options: { poolMax?: number; upTo?: string } = {}): Promise<TestDatabase> {
  const name = `uah_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = await createDatabase({ url: url.href, poolMax: options.poolMax ?? 10 });
  try {
    if (options.upTo === undefined) await db.migrate();
    else await migrateUpTo(db, options.upTo);
  } catch (error) {
    await db.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    throw error;
  }
  return {
    ...db,
    name,
    url: url.href,
    schema: 'public',
    async close() {
      await db.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
