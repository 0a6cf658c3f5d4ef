import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, matchesFilter, parseRetryAfter, retryDelayMs } from './policy.js';

describe('retry policy', () => {
  it('waits 1 s, 2 s, 4 s, 8 s, 16 s by default (±20 %), never more than 5 min', () => {
    const mid = (retry: number): number => retryDelayMs(DEFAULT_RETRY_POLICY, retry, () => 0.5);
    expect([1, 2, 3, 4, 5].map(mid)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(mid(20)).toBe(300_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0)).toBe(800);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.999999)).toBe(1200);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 20, () => 0.999999)).toBe(300_000);
  });

  it('follows a custom policy', () => {
    const policy = { maxRetries: 3, backoffMultiplier: 3, initialDelay: 100, maxDelay: 500 };
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n, () => 0.5))).toEqual([100, 300, 500]);
  });

  it('reads Retry-After in seconds or as a date, capped at an hour', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('event filters', () => {
  it('match exact types, kind wildcards and everything', () => {
    expect(matchesFilter(['invoice.paid'], 'invoice.paid')).toBe(true);
    expect(matchesFilter(['invoice.paid'], 'invoice.sent')).toBe(false);
    expect(matchesFilter(['invoice.*'], 'invoice.partially_paid')).toBe(true);
    expect(matchesFilter(['invoice.*'], 'invoices.x')).toBe(false);
    expect(matchesFilter(['payment.*', 'customer.created'], 'customer.created')).toBe(true);
    expect(matchesFilter(['*'], 'webhook_endpoint.failing')).toBe(true);
    expect(matchesFilter([], 'invoice.paid')).toBe(false);
  });
});
