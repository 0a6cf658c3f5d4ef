import type { Knex } from 'knex';

/**
 * Two functions of the posting path become plain SQL that PostgreSQL folds into the statements using them.
 *
 * - `uah_next_event_seq()`, the default of `events.seq`, was PL/pgSQL: every event appended paid a PL/pgSQL
 *   call and a query for its `PERFORM pg_current_xact_id()`. As one SQL `SELECT` it is inlined into the
 *   INSERT's plan as `CASE WHEN pg_current_xact_id() IS NULL ... ELSE nextval(...)`: the transaction still
 *   has its xid before it takes the number (the watermark relies on it, see core/src/events/watermark.ts),
 *   and no function is called for it.
 * - `ledger_add_balances(current, delta)` (per-currency balances plus a change) was a PL/pgSQL loop over a
 *   query, run for every balance row a posting updates. The posting statement now adds the two objects in
 *   an expression of its own (see WRITE_SQL in core/src/ledger/journal-store.ts), and the function goes.
 *
 * Together about 3-5% of PostgreSQL's CPU per posting statement (BENCHMARKS.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE OR REPLACE FUNCTION uah_next_event_seq() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN pg_current_xact_id() IS NULL THEN NULL ELSE nextval('events_seq_seq') END $$`);
  await knex.raw('DROP FUNCTION ledger_add_balances(jsonb, jsonb)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`CREATE OR REPLACE FUNCTION uah_next_event_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_current_xact_id();
      RETURN nextval('events_seq_seq');
    END $$`);
  await knex.raw(`
    CREATE FUNCTION ledger_add_balances(current jsonb, delta jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE k text; v text;
    BEGIN
      FOR k, v IN SELECT * FROM jsonb_each_text(delta) LOOP
        current := jsonb_set(current, ARRAY[k], to_jsonb(COALESCE((current ->> k)::bigint, 0) + v::bigint));
      END LOOP;
      RETURN current;
    END $$`);
}
