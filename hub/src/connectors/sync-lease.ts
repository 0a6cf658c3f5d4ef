import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * A running sync job belongs to the process that holds its lease: that process renews it while the job
 * runs; another process takes the job over only once the lease has expired by the database's clock
 * (its holder died, hung or lost the database). The holder judges its own lease by its local clock from
 * the moment it asked for each renewal, which is never later than the database's expiry, so a holder
 * stops serving the job's calls before anybody else may start it: one run at a time, across processes.
 */
export interface LeaseOptions {
  /** How long a lease lasts without renewal. @default 60000 */
  ms?: number;
  /** Names this process in `lease_owner` (host, pid and a random part by default). */
  owner?: string;
}

export interface LeaseHold {
  /** False from the moment this process can no longer be sure it holds the lease. */
  valid(): boolean;
  /** Aborted when the lease is lost (renewal refused, or not renewed in time) or released. */
  readonly lost: AbortSignal;
  /** Stops renewing (the job has ended). */
  end(): void;
  /** Gives the job up at once: another process may take it over now and resume it. */
  release(): Promise<void>;
}

export interface Leases {
  readonly owner: string;
  readonly ms: number;
  /**
   * Claims a queued job, or a running one whose lease has expired, and counts the start. Undefined when
   * another process has it, or when another job of the same data type and direction runs. The lease is
   * held (renewed) from then on until `end()` or `release()`.
   */
  claim<T>(jobId: string): Promise<{ row: T; hold: LeaseHold } | undefined>;
  /** Releases every lease this process holds (a graceful stop). */
  releaseAll(): Promise<void>;
}

/** Part of the lease kept as a margin for clock drift and a slow renewal. */
const MARGIN = 0.2;

export function createLeases(knex: Knex, options: LeaseOptions = {}): Leases {
  const ms = options.ms ?? 60_000;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const holds = new Map<string, LeaseHold>();
  const expiry = (): Knex.Raw => knex.raw(`now() + (? * interval '1 millisecond')`, [ms]);

  /** `asked`: when the claim was asked for; the database set the expiry later than that. */
  function hold(jobId: string, asked: number): LeaseHold {
    const controller = new AbortController();
    let validUntil = asked + ms * (1 - MARGIN);
    let ended = false;
    const lose = (why: string): void => {
      if (!controller.signal.aborted) controller.abort(new Error(why));
    };
    const renew = async (): Promise<void> => {
      const asked = performance.now();
      try {
        const renewed = await knex('sync_jobs').where({ id: jobId, lease_owner: owner, status: 'RUNNING' }).update({ lease_expires_at: expiry() });
        if (ended) return;
        if (renewed === 0) lose('the lease on the sync job was lost: another process runs it now');
        else validUntil = asked + ms * (1 - MARGIN);
      } catch {
        // The database is unreachable: the lease runs out on its own and `valid()` says so.
      }
    };
    const timer = setInterval(() => {
      if (performance.now() >= validUntil) lose('the lease on the sync job ran out before it could be renewed');
      else void renew();
    }, Math.max(50, Math.floor(ms / 4)));
    timer.unref();
    const handle: LeaseHold = {
      valid: () => !ended && !controller.signal.aborted && performance.now() < validUntil,
      lost: controller.signal,
      end() {
        ended = true;
        clearInterval(timer);
        holds.delete(jobId);
      },
      async release() {
        handle.end();
        lose('the sync job was handed back when this process stopped');
        await knex('sync_jobs').where({ id: jobId, lease_owner: owner, status: 'RUNNING' }).update({ lease_owner: null, lease_expires_at: knex.fn.now() });
      },
    };
    holds.set(jobId, handle);
    return handle;
  }

  return {
    owner,
    ms,
    async claim<T>(jobId: string) {
      const asked = performance.now();
      try {
        const [row] = (await knex('sync_jobs')
          .where('id', jobId)
          .where((q) => void q.where('status', 'QUEUED').orWhere((r) => void r.where('status', 'RUNNING').where((s) => void s.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', knex.fn.now()))))
          .update({ status: 'RUNNING', lease_owner: owner, lease_expires_at: expiry(), attempts: knex.raw('attempts + 1'), started_at: knex.raw('coalesce(started_at, now())') })
          .returning('*')) as T[];
        return row === undefined ? undefined : { row, hold: hold(jobId, asked) };
      } catch (error) {
        // The partial unique index: another job of this data type and direction is running.
        if ((error as { code?: string }).code === '23505') return undefined;
        throw error;
      }
    },
    async releaseAll() {
      await Promise.allSettled([...holds.values()].map((h) => h.release()));
    },
  };
}
