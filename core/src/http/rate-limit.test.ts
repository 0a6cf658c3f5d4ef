import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Knex } from 'knex';
import { createRateLimiter } from './rate-limit.js';

/** A knex whose counter upsert waits until released, as a slow shared database would. */
function slowCounterStore() {
  let release: (count: number) => void = () => undefined;
  let total = 0;
  const knex = Object.assign(() => ({ where: () => ({ delete: async () => 0 }) }), {
    raw: (_sql: string, params: [string, number, number]) =>
      new Promise((resolve) => {
        release = (others) => {
          total += params[2] + others;
          resolve({ rows: [{ count: String(total) }] });
        };
      }),
  });
  return { knex: knex as unknown as Knex, release: (others = 0) => release(others) };
}

describe('the rate limiter', () => {
  it('keeps counting the requests on their way to the shared counter while a flush waits for the database', async () => {
    const store = slowCounterStore();
    const limiter = createRateLimiter({ limit: 3, windowSeconds: 60, flushMs: 60_000, knex: store.knex, logger: pino({ level: 'silent' }) });
    expect(limiter.take('key').allowed).toBe(true);
    expect(limiter.take('key').allowed).toBe(true);
    const flushed = limiter.flush();
    expect(limiter.take('key')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('key').allowed).toBe(false);
    store.release();
    await flushed;
    expect(limiter.take('key').allowed).toBe(false);
  });

  it("adds other processes' counts read back from the shared counter (a string from node-pg's bigint)", async () => {
    const store = slowCounterStore();
    const limiter = createRateLimiter({ limit: 10, windowSeconds: 60, flushMs: 60_000, knex: store.knex, logger: pino({ level: 'silent' }) });
    limiter.take('key');
    const flushed = limiter.flush();
    store.release(8); // eight requests admitted by another process in this window
    await flushed;
    expect(limiter.take('key')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('key').allowed).toBe(false);
  });
});
