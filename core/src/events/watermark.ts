import type { Knex } from 'knex';
import { preparedQuery } from '../db/prepared.js';

/**
 * Readers of the log (the REST list, the relay, the stream) only read up to a settled `seq`.
 *
 * Why not "every event of a transaction older than the oldest running one": a transaction gets its
 * id (xid) at its first write and its `seq` when it appends its event, so the two orders can differ. If A
 * writes first (lower xid) and appends last (higher seq) while B, with a higher xid and a lower seq, is
 * still running, A's event passes `tx_id < xmin` before B's does; a cursor moved past A would skip B.
 *
 * Instead, when the log has grown, the watermark notes the highest `seq` together with a fresh xid of its
 * own, taken after that `seq` was read. Every transaction holding a lower `seq` had its xid by then (the
 * column default of `seq`, `uah_next_event_seq()`, assigns the transaction's xid before it takes the
 * number), so it is older than that xid; once the oldest running transaction is younger
 * (`xmin` above it), all of them have ended: every event up to that `seq` is settled (committed and
 * visible, or rolled back and never coming). The stream only reads settled ranges. (The snapshot's
 * `xmax` cannot serve here: it is one past the latest *completed* xid, and running ones may be above it.)
 */
/**
 * The oldest transaction id still running in this database (or, with none, the first not yet completed):
 * every transaction below it has ended. Transactions PostgreSQL reports running in another database
 * cannot write here and are left out, so a long transaction elsewhere on the server holds nothing back.
 */
export const OLDEST_RUNNING_HERE = `COALESCE(
  (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
      WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database()
        AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
  pg_snapshot_xmax(pg_current_snapshot()))`;

interface Observation {
  /** An xid assigned after `seq` was the highest in the log. */
  xid: bigint;
  seq: number;
  observedAt: number;
}

export interface SettledWatermark {
  /**
   * Observes the log. Resolves with the highest `seq` up to which every event is settled, or undefined
   * while no observation has settled yet.
   */
  advance(options?: { waitMs?: number }): Promise<number | undefined>;
  /** Milliseconds the oldest unsettled observation has been waiting (0 when none is). */
  waitingMs(): number;
  /** Whether an observation waits for transactions still running (a reader should look again soon). */
  unsettled(): boolean;
  /** Forgets everything (the stream went idle: a later start observes afresh). */
  reset(): void;
}

/** Observations kept while a long transaction holds the horizon back; dropping the oldest only delays. */
const MAX_PENDING = 1_000;

interface Row {
  xmin?: string;
  xmax?: string;
  xid?: string | null;
  top?: number | string | null;
}

export function createSettledWatermark(knex: Knex): SettledWatermark {
  let pending: Observation[] = [];
  let settled: number | undefined;

  // Prepared statements: planning the view behind OLDEST_RUNNING_HERE costs more than running it. Single-word
  // aliases: on the embedded store the rows go through knex, whose camelCase mapper may or may not apply.
  async function query(name: string, sql: string, bindings: unknown[] = []): Promise<Row> {
    const row = (await preparedQuery<Row>(knex, name, sql, bindings))[0];
    if (!row) throw new Error('the watermark query returned no row');
    return row;
  }

  /** The oldest running xid here: every transaction below it has ended. */
  async function look(): Promise<bigint> {
    const row = await query('watermark_look_v2', `SELECT (${OLDEST_RUNNING_HERE})::text AS xmin`);
    return BigInt(row.xmin ?? '0');
  }

  function settle(xmin: bigint): void {
    while (pending[0] !== undefined && pending[0].xid < xmin) {
      const done = pending.shift();
      if (done) settled = Math.max(settled ?? 0, done.seq);
    }
  }

  return {
    async advance(options = {}) {
      // One round trip settles what earlier observations can and, if the log has grown since the last one,
      // notes its highest seq with an xid assigned after the statement's snapshot (the CASE assigns it only then).
      const known = pending[pending.length - 1]?.seq ?? settled ?? -1;
      const row = await query('watermark_advance_v1', `SELECT (${OLDEST_RUNNING_HERE})::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax, top,
          CASE WHEN top > ?::bigint THEN pg_current_xact_id()::text END AS xid
        FROM (SELECT COALESCE(max(seq), 0) AS top FROM events) log`, [known]);
      const xmin = BigInt(row.xmin ?? '0');
      settle(xmin);
      if (row.xid) {
        pending.push({ xid: BigInt(row.xid), seq: Number(row.top ?? 0), observedAt: Date.now() });
        if (pending.length > MAX_PENDING) pending = pending.slice(pending.length - MAX_PENDING);
        // Nothing was running here when it looked (a quiet database): the new observation most likely settles at once.
        if (xmin === BigInt(row.xmax ?? '0')) settle(await look());
      }
      // A reader that wants its own writes waits (briefly) for the short transactions still running.
      const until = Date.now() + (options.waitMs ?? 0);
      for (let pause = 2; pending.length > 0 && Date.now() < until; pause = Math.min(pause * 2, 50)) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        settle(await look());
      }
      return settled;
    },

    waitingMs() {
      const oldest = pending[0];
      return oldest ? Date.now() - oldest.observedAt : 0;
    },

    unsettled() {
      return pending.length > 0;
    },

    reset() {
      pending = [];
      settled = undefined;
    },
  };
}
