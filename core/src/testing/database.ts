import { randomBytes } from 'node:crypto';
import { createDatabase, type Database } from '../db/database.js';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A migrated database of the test file's own: a fresh schema in the test PostgreSQL, dropped on close,
 * so test files can run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<Database & { schema: string }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await createDatabase({ url: TEST_DATABASE_URL, schema, poolMax: options.poolMax ?? 10 });
  await db.migrate();
  return {
    ...db,
    schema,
    async close() {
      await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      await db.close();
    },
  };
}
