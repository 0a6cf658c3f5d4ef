import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { PUBLISHED_THROUGH } from '../src/events/relay.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/database.js';

/** A database migrated up to 0017, with `published` events marked the old way and `pending` ones not. */
async function before0018(published: number, pending: number): Promise<TestDatabase> {
  const db = await createTestDatabase({ poolMax: 2, upTo: '0017' });
  for (let i = 0; i < published + pending; i += 1) {
    await db.knex('events').insert({
      id: `evt_${i}`, organization_id: 'org_OLD', type: 'customer.created', aggregate_type: 'customer', aggregate_id: `cus_${i}`, version: 1,
      data: {}, metadata: {}, published_at: i < published ? new Date() : null,
    });
  }
  return db;
}

const unpublished = async (db: Database): Promise<string[]> =>
  (await db.knex.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM events WHERE seq > ${PUBLISHED_THROUGH} ORDER BY seq`)).rows.map((r) => r.id);

describe('migration 0018 on an outbox that already exists', () => {
  const made: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of made) await db.close();
  });

  it('starts the cursor where the per-event marks ended: what was published stays published, the rest is still to publish', async () => {
    const db = await before0018(3, 2);
    made.push(db);
    await db.migrate();
    expect(await unpublished(db)).toEqual(['evt_3', 'evt_4']);
    const columns = await db.knex.raw<{ rows: unknown[] }>("SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'published_at'");
    expect(columns.rows).toHaveLength(0);
  });

  it('starts it past every event when all were published, and at zero on an empty log', async () => {
    const all = await before0018(4, 0);
    made.push(all);
    await all.migrate();
    expect(await unpublished(all)).toEqual([]);
    await all.knex('events').insert({ id: 'evt_new', organization_id: 'org_OLD', type: 'customer.created', aggregate_type: 'customer', aggregate_id: 'cus_new', version: 1, data: {}, metadata: {} });
    expect(await unpublished(all)).toEqual(['evt_new']);

    const empty = await before0018(0, 0);
    made.push(empty);
    await empty.migrate();
    expect((await empty.knex('event_relay_cursor').select('seq'))[0]).toEqual({ seq: 0 });
  });
});
