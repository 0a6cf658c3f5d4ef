import type { WebhookEventFilter, WebhookRetryPolicy } from '@uah/schemas';

export const DEFAULT_RETRY_POLICY: WebhookRetryPolicy = { maxRetries: 5, backoffMultiplier: 2, initialDelay: 1_000, maxDelay: 300_000 };
/** A `Retry-After` longer than this is not waited for in full: the delivery would look lost. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;
const JITTER = 0.2;

/**
 * The wait before retry number `retry` (1 for the first retry): `initialDelay × multiplier^(retry-1)`,
 * at most `maxDelay`, then ±20 % jitter (never above `maxDelay`), so endpoints that failed together do not
 * all come back at the same instant. `random` is injectable for tests.
 */
export function retryDelayMs(policy: WebhookRetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelay * policy.backoffMultiplier ** Math.max(0, retry - 1), policy.maxDelay);
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(jittered, policy.maxDelay));
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Whether an event type passes an endpoint's filter: exact types, `kind.*` wildcards, or `*`. */
export function matchesFilter(filters: readonly WebhookEventFilter[], type: string): boolean {
  for (const filter of filters) {
    if (filter === '*' || filter === type) return true;
    if (filter.endsWith('.*') && type.startsWith(filter.slice(0, -1))) return true;
  }
  return false;
}
