import type { Knex } from 'knex';
import type { Logger } from 'pino';

export type Job = () => Promise<void>;

export interface Scheduler {
  /** Runs `job` every `intervalMs` (first run after one interval) until `stop()`. Names are unique. */
  every(name: string, intervalMs: number, job: Job): void;
  /**
   * Runs a registered job now. Resolves `true` when it ran, `false` when another run held its lock (in this
   * process or, on PostgreSQL, in another one). A failing job is logged, never thrown.
   */
  runNow(name: string): Promise<boolean>;
  /** Clears every timer and waits for the runs in progress. */
  stop(): Promise<void>;
}

interface Entry {
  job: Job;
  intervalMs: number;
  timer?: NodeJS.Timeout;
  running?: Promise<boolean>;
}

/**
 * A small interval scheduler. On PostgreSQL each run holds `pg_try_advisory_xact_lock(hashtext(name))` in a
 * transaction of its own, so when several hub processes share the database only one runs a job at a time and
 * the others skip that tick. The embedded database has one connection and one process (its data folder is
 * locked), so there the job runs without the lock: holding a transaction open would starve the job itself.
 * Timers are unref'd and never keep the process alive.
 */
export function createScheduler(deps: { knex: Knex; logger: Logger; embedded: boolean }): Scheduler {
  const entries = new Map<string, Entry>();
  let stopped = false;

  async function withLock(name: string, job: Job): Promise<boolean> {
    if (deps.embedded) {
      await job();
      return true;
    }
    // The lock is taken in a transaction of its own connection; the job's writes use their own transactions,
    // and the lock is released when this one ends, after the job.
    return deps.knex.transaction(async (trx) => {
      const result = await trx.raw<{ rows: Array<{ locked: boolean }> }>('SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked', [`uah.scheduler.${name}`]);
      if (!result.rows[0]?.locked) return false;
      await job();
      return true;
    });
  }

  async function run(name: string, entry: Entry): Promise<boolean> {
    if (entry.running) return false;
    const started = Date.now();
    entry.running = withLock(name, entry.job)
      .then((ran) => {
        if (ran) deps.logger.debug({ job: name, ms: Date.now() - started }, 'scheduled job ran');
        return ran;
      })
      .catch((error: unknown) => {
        deps.logger.error({ err: error, job: name }, 'scheduled job failed');
        return false;
      })
      .finally(() => {
        delete entry.running;
      });
    return entry.running;
  }

  return {
    every(name, intervalMs, job) {
      if (entries.has(name)) throw new Error(`scheduler: a job named ${name} is already registered`);
      if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`scheduler: interval of ${name} must be positive`);
      const entry: Entry = { job, intervalMs };
      entries.set(name, entry);
      if (stopped) return;
      entry.timer = setInterval(() => void run(name, entry), intervalMs);
      entry.timer.unref();
    },

    async runNow(name) {
      const entry = entries.get(name);
      if (!entry) throw new Error(`scheduler: no job named ${name}`);
      return run(name, entry);
    },

    async stop() {
      stopped = true;
      for (const entry of entries.values()) {
        if (entry.timer) clearInterval(entry.timer);
        delete entry.timer;
      }
      await Promise.all([...entries.values()].flatMap((e) => (e.running ? [e.running] : [])));
    },
  };
}
