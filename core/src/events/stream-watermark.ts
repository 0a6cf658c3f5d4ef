import type { Knex } from 'knex';

/**
 * Why the stream does not read "seq > cursor AND COMMITTED_BEFORE_RUNNING" alone: a transaction gets its
 * id (xid) at its first write and its `seq` when it appends its event, so the two orders can differ. If A
 * writes first (lower xid) and appends last (higher seq) while B, with a higher xid and a lower seq, is
 * still running, A's event passes `tx_id < xmin` before B's does; a cursor moved past A would then skip B.
 *
 * Instead each observation records the highest `seq` taken so far with the snapshot's `xmax` (the next
 * xid to be assigned). Every transaction holding a lower `seq` had its xid by then, so once the oldest
 * running transaction is past that `xmax`, all of them have ended: every event up to that `seq` is
 * settled (committed and visible, or rolled back and never coming). The stream only reads settled ranges.
 */
interface Observation {
  /** Snapshot xmax when `seq` was the highest in the log. */
  xmax: bigint;
  seq: number;
  observedAt: number;
}

export interface SettledWatermark {
  /**
   * Observes the log once. Resolves with the highest `seq` up to which every event is settled, or
   * undefined while no observation has settled yet.
   */
  advance(): Promise<number | undefined>;
  /** Milliseconds the oldest unsettled observation has been waiting (0 when none is). */
  waitingMs(): number;
  /** Forgets everything (the stream went idle: a later start observes afresh). */
  reset(): void;
}

/** Observations kept while a long transaction holds the horizon back; dropping the oldest only delays. */
const MAX_PENDING = 1_000;

interface SnapshotRow {
  xmin: string;
  xmax: string;
  top: number | string | null;
}

export function createSettledWatermark(knex: Knex): SettledWatermark {
  let pending: Observation[] = [];
  let settled: number | undefined;

  async function observe(): Promise<{ xmin: bigint; xmax: bigint; top: number }> {
    // One statement: the snapshot and the highest seq are read together. Single-word aliases, because
    // rows of knex.raw may or may not pass through the camelCase mapper depending on the driver.
    const result = await knex.raw<{ rows: SnapshotRow[] }>(
      `WITH s AS (SELECT pg_current_snapshot() AS snap)
       SELECT pg_snapshot_xmin(snap)::text AS xmin, pg_snapshot_xmax(snap)::text AS xmax, (SELECT max(seq) FROM events) AS top FROM s`,
    );
    const row = result.rows[0];
    if (!row) throw new Error('the snapshot query returned no row');
    return { xmin: BigInt(row.xmin), xmax: BigInt(row.xmax), top: Number(row.top ?? 0) };
  }

  return {
    async advance() {
      const now = await observe();
      const known = pending[pending.length - 1]?.seq ?? settled ?? -1;
      if (now.top > known) pending.push({ xmax: now.xmax, seq: now.top, observedAt: Date.now() });
      if (pending.length > MAX_PENDING) pending = pending.slice(pending.length - MAX_PENDING);
      while (pending[0] !== undefined && pending[0].xmax <= now.xmin) {
        const done = pending.shift();
        if (done) settled = Math.max(settled ?? 0, done.seq);
      }
      return settled;
    },

    waitingMs() {
      const oldest = pending[0];
      return oldest ? Date.now() - oldest.observedAt : 0;
    },

    reset() {
      pending = [];
      settled = undefined;
    },
  };
}
