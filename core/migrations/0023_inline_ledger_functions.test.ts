import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing/database.js';
import { down } from './0023_inline_ledger_functions.js';

/** The expression PostgreSQL computes an event's `seq` with, as the plan of an insert shows it. */
async function seqExpression(db: TestDatabase): Promise<string> {
  const { rows } = await db.knex.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(
    `EXPLAIN VERBOSE INSERT INTO events (id, organization_id, type, aggregate_type, aggregate_id, version, data, metadata)
     VALUES ('evt_X', 'org_X', 't', 'a', 'x', 1, '{}', '{}')`,
  );
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('migration 0023: the posting path\'s functions in plain SQL', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db.close();
  });

  it('numbers an event with its transaction\'s xid taken first, inlined in the insert, and puts the PL/pgSQL back on the way down', async () => {
    db = await createTestDatabase({ poolMax: 2, upTo: '0022' });
    expect(await seqExpression(db)).toContain('uah_next_event_seq()');

    await db.migrate();
    const plan = await seqExpression(db);
    expect(plan).not.toContain('uah_next_event_seq()');
    expect(plan).toMatch(/CASE WHEN \(pg_current_xact_id\(\) IS NULL\) THEN NULL::bigint ELSE nextval\('events_seq_seq'::regclass\) END/);
    // An event appended by a transaction that wrote nothing before it gets its number and its transaction's id.
    const appended = await db.knex.transaction(async (trx) => {
      const [event] = await trx('events').insert({ id: 'evt_A', organization_id: 'org_X', type: 't', aggregate_type: 'a', aggregate_id: 'x', version: 1, data: {}, metadata: {} }).returning(['seq', 'tx_id']);
      const { rows } = await trx.raw<{ rows: Array<{ xid: string }> }>('SELECT pg_current_xact_id()::text AS xid');
      return { seq: Number(event.seq), txId: String(event.txId), xid: rows[0]?.xid };
    });
    expect(appended.seq).toBeGreaterThan(0);
    expect(appended.txId).toBe(appended.xid);
    const { rows: fns } = await db.knex.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_proc WHERE proname = 'ledger_add_balances'");
    expect(fns).toHaveLength(0);

    await down(db.knex);
    expect(await seqExpression(db)).toContain('uah_next_event_seq()');
    const { rows: added } = await db.knex.raw<{ rows: Array<{ sum: Record<string, number> }> }>(`SELECT ledger_add_balances('{"USD": 5}', '{"USD": -2, "EUR": 3}') AS sum`);
    expect(added[0]?.sum).toEqual({ USD: 3, EUR: 3 });
  });
});
