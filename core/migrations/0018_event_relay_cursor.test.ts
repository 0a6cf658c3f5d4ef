import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/database.js';
import { PUBLISHED_THROUGH } from '../src/events/relay.js';
import { TEST_DATABASE_URL } from '../src/testing/database.js';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A database migrated up to 0017, with `published` events marked the old way and `pending` ones not. */
async function before0018(published: number, pending: number): Promise<{ db: Database; drop(): Promise<void> }> {
  const name = `uah_t_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = await createDatabase({ url: url.href, poolMax: 2 });
  for (let i = 0; i < 17; i += 1) await db.knex.migrate.up();
  expect(await db.knex.migrate.currentVersion()).toBe('0017');
  for (let i = 0; i < published + pending; i += 1) {
    await db.knex('events').insert({
      id: `evt_${i}`, organization_id: 'org_OLD', type: 'customer.created', aggregate_type: 'customer', aggregate_id: `cus_${i}`, version: 1,
      data: {}, metadata: {}, published_at: i < published ? new Date() : null,
    });
  }
  return {
    db,
    drop: async () => {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

const unpublished = async (db: Database): Promise<string[]> =>
  (await db.knex.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM events WHERE seq > ${PUBLISHED_THROUGH} ORDER BY seq`)).rows.map((r) => r.id);

describe('migration 0018 on an outbox that already exists', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('starts the cursor where the per-event marks ended: what was published stays published, the rest is still to publish', async () => {
    const { db, drop } = await before0018(3, 2);
    drops.push(drop);
    await db.migrate();
    expect(await unpublished(db)).toEqual(['evt_3', 'evt_4']);
    const columns = await db.knex.raw<{ rows: unknown[] }>("SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'published_at'");
    expect(columns.rows).toHaveLength(0);
  });

  it('starts it past every event when all were published, and at zero on an empty log', async () => {
    const all = await before0018(4, 0);
    drops.push(all.drop);
    await all.db.migrate();
    expect(await unpublished(all.db)).toEqual([]);
    await all.db.knex('events').insert({ id: 'evt_new', organization_id: 'org_OLD', type: 'customer.created', aggregate_type: 'customer', aggregate_id: 'cus_new', version: 1, data: {}, metadata: {} });
    expect(await unpublished(all.db)).toEqual(['evt_new']);

    const empty = await before0018(0, 0);
    drops.push(empty.drop);
    await empty.db.migrate();
    expect((await empty.db.knex('event_relay_cursor').select('seq'))[0]).toEqual({ seq: 0 });
  });
});
