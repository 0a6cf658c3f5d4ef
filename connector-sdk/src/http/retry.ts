/**
 * Exponential backoff settings. The delay before retry `n` (0-based) is drawn uniformly from
 * `[d/2, d]` where `d = min(maxMs, initialMs * factor^n)`: jitter spreads the retries of many
 * clients that failed together, and the lower half-bound keeps a retry from firing at once.
 *
 * @example
 * ```ts
 * const backoff: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2 };
 * ```
 */
export interface BackoffOptions {
  /** @default 500 */
  initialMs?: number;
  /** @default 30000 */
  maxMs?: number;
  /** @default 2 */
  factor?: number;
}

/**
 * The delay before retry number `retry` (0 for the first retry), with jitter.
 *
 * @example
 * ```ts
 * backoffDelay(0, { initialMs: 500 }, () => 1); // 500
 * backoffDelay(3, { initialMs: 500 }, () => 0); // 2000 (half of 4000)
 * ```
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const ceiling = Math.min(max, initial * factor ** retry);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). `undefined` when absent or unreadable; never negative.
 *
 * @example
 * ```ts
 * parseRetryAfter('2');                                          // 2000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('2026-10-21T07:27:30Z')); // 30000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only an HTTP date is left (it names a weekday and month); Date.parse would read '-5' as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
