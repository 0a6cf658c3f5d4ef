import type { Knex } from 'knex';
import type { Logger } from 'pino';

export interface RateLimitOptions {
  /** Requests allowed per key in one window. */
  limit: number;
  windowSeconds: number;
  /** How often local counts are added to the shared counters in PostgreSQL. */
  flushMs?: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface RateLimiter {
  /** Counts one request in `bucket` unless it is at `limit` (default: the limiter's). */
  take(bucket: string, limit?: number): RateLimitDecision;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Window {
  start: number;
  /** Requests counted here and not yet added to the shared counter. */
  pending: number;
  /** Requests being added to the shared counter right now (no longer pending, not yet in `shared`). */
  flushing: number;
  /** The shared count (all processes) as of the last flush, this process's flushed requests included. */
  shared: number;
}

/**
 * Fixed-window limits per bucket (an API key, or a client address) that hold across hub processes:
 * each process counts locally and, every `flushMs`, adds its counts to a shared row in PostgreSQL and
 * reads back the total; a bucket that has counted a twentieth of its limit since it was last shared is shared
 * at once. A request never waits for the database; the cost is that several processes together may overshoot
 * by what they admit while one flush is on its way.
 */
export function createRateLimiter(options: RateLimitOptions & { knex: Knex; logger: Logger }): RateLimiter {
  const windows = new Map<string, Window>();
  const windowMs = options.windowSeconds * 1000;
  let flushing: Promise<void> | undefined;

  async function flushNow(): Promise<void> {
    const batch = [...windows.entries()].filter(([, w]) => w.pending > 0);
    for (const [bucket, w] of batch) {
      const delta = w.pending;
      w.pending = 0;
      w.flushing += delta;
      try {
        const result = await options.knex.raw<{ rows: Array<{ count: number }> }>(
          `INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (?, ?, ?)
           ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + EXCLUDED.count
           RETURNING count`,
          [bucket, w.start, delta],
        );
        w.flushing -= delta;
        w.shared = Math.max(w.shared + delta, Number(result.rows[0]?.count ?? 0));
      } catch (error) {
        w.flushing -= delta;
        w.pending += delta;
        options.logger.warn({ err: error }, 'rate limit counters not shared this round');
        return;
      }
    }
    const now = Date.now();
    for (const [bucket, w] of windows) if (w.start + windowMs < now && w.pending === 0 && w.flushing === 0) windows.delete(bucket);
    await options.knex('rate_limit_windows').where('window_start', '<', now - 2 * windowMs).delete().catch(() => undefined);
  }

  const flushSoon = (): void => {
    flushing ??= flushNow().finally(() => (flushing = undefined));
  };
  const timer = setInterval(flushSoon, options.flushMs ?? 1000);
  timer.unref();

  return {
    take(bucket, limit = options.limit) {
      const now = Date.now();
      const start = now - (now % windowMs);
      let w = windows.get(bucket);
      if (!w || w.start !== start) {
        w = { start, pending: 0, flushing: 0, shared: 0 };
        windows.set(bucket, w);
      }
      // What is on its way to the shared counter still counts: leaving it out admitted extra requests each flush.
      const used = w.shared + w.flushing + w.pending;
      const resetSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
      if (used >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
      w.pending += 1;
      // A bucket in heavy use is shared at once rather than at the next tick, so that other processes learn of
      // its count within a round trip: that bounds what several processes together admit past the limit.
      if (w.pending >= Math.max(1, Math.floor(limit / 20))) flushSoon();
      return { allowed: true, limit, remaining: limit - used - 1, resetSeconds };
    },
    async flush() {
      await (flushing ?? flushNow());
    },
    async close() {
      clearInterval(timer);
      await flushNow();
    },
  };
}

/**
 * A key's request counts against its organization's limit (all its keys together, per tier) and its own; the
 * answer is the tighter of the two. A request the key's own limit refuses is not counted for the organization.
 */
export function takeForKey(limiter: RateLimiter, key: { id: string; organizationId: string }, limits: { organization: number; key: number }): RateLimitDecision & { scope: 'key' | 'organization' } {
  const own = limiter.take(key.id, limits.key);
  if (!own.allowed) return { ...own, scope: 'key' };
  const organization = limiter.take(`org:${key.organizationId}`, limits.organization);
  return organization.remaining < own.remaining || !organization.allowed ? { ...organization, scope: 'organization' } : { ...own, scope: 'key' };
}
