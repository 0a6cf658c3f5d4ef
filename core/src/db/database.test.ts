import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './database.js';
import { createTestDatabase } from '../testing/database.js';

describe('database', () => {
  it('migrates a PostgreSQL schema of its own and returns int8 as numbers', async () => {
    const db = await createTestDatabase();
    try {
      const { rows } = await db.knex.raw<{ rows: Array<{ big: number; schema: string }> }>('SELECT 9007199254740991::int8 AS big, current_schema() AS schema');
      expect(rows[0]).toEqual({ big: 9007199254740991, schema: db.schema });
      await expect(db.knex.raw('SELECT 9007199254740992::int8 AS big')).rejects.toThrow(/safe integer/);
    } finally {
      await db.close();
    }
  });

  describe('embedded (PGlite)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uah-pglite-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('runs the same migrations, keeps data across reopen, and refuses a second opener', async () => {
      const first = await createDatabase({ dataDir: dir });
      await first.migrate();
      await first.knex('hub_settings').insert({ key: 'probe', value: JSON.stringify({ ok: true }) });
      await expect(createDatabase({ dataDir: dir })).rejects.toThrow(/in use/);
      await first.close();
      const second = await createDatabase({ dataDir: dir });
      await second.migrate();
      const row = await second.knex('hub_settings').where({ key: 'probe' }).first();
      expect(row.value).toEqual({ ok: true });
      await second.close();
    });
  });
});
