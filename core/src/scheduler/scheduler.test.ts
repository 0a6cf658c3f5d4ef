import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../testing/database.js';
import { createScheduler } from './scheduler.js';

function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('scheduler', () => {
  // Advisory locks are database-wide: names of their own keep parallel test files apart.
  const expireJob = `expire-${process.pid}-${Date.now()}`;
  const sharedJob = `shared-${process.pid}-${Date.now()}`;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase({ poolMax: 4 });
  });
  afterAll(() => db.close());

  it('runs a job on demand and on its interval, and stops', async () => {
    const { logger } = capturingLogger();
    const scheduler = createScheduler({ knex: db.knex, logger, embedded: false });
    let runs = 0;
    scheduler.every('count', 25, async () => {
      runs += 1;
    });
    expect(await scheduler.runNow('count')).toBe(true);
    expect(runs).toBe(1);
    await new Promise((r) => setTimeout(r, 140));
    expect(runs).toBeGreaterThanOrEqual(3);
    await scheduler.stop();
    const after = runs;
    await new Promise((r) => setTimeout(r, 80));
    expect(runs).toBe(after);
    expect(() => scheduler.every('count', 10, async () => undefined)).toThrow(/already registered/);
    await expect(scheduler.runNow('nothing')).rejects.toThrow(/no job named nothing/);
  });

  it('logs a failing job and never throws', async () => {
    const { logger, lines } = capturingLogger();
    const scheduler = createScheduler({ knex: db.knex, logger, embedded: false });
    scheduler.every('broken', 60_000, async () => {
      throw new Error('boom');
    });
    expect(await scheduler.runNow('broken')).toBe(false);
    const logged = lines.find((l) => l['msg'] === 'scheduled job failed');
    expect(logged).toMatchObject({ job: 'broken', level: 50, err: { message: 'boom' } });
    await scheduler.stop();
  });

  it('one run at a time: in this process, and across processes through the advisory lock', async () => {
    const { logger } = capturingLogger();
    const first = createScheduler({ knex: db.knex, logger, embedded: false });
    const second = createScheduler({ knex: db.knex, logger, embedded: false });
    const gate = deferred();
    let secondRan = false;
    first.every(expireJob, 60_000, () => gate.promise);
    second.every(expireJob, 60_000, async () => {
      secondRan = true;
    });
    const running = first.runNow(expireJob);
    await new Promise((r) => setTimeout(r, 50));
    expect(await first.runNow(expireJob)).toBe(false);
    // `second` stands for another hub process: same database, its own scheduler and connection.
    expect(await second.runNow(expireJob)).toBe(false);
    expect(secondRan).toBe(false);
    gate.resolve();
    expect(await running).toBe(true);
    expect(await second.runNow(expireJob)).toBe(true);
    expect(secondRan).toBe(true);
    await Promise.all([first.stop(), second.stop()]);
  });

  it('embedded (one connection, one process): runs the job without the advisory lock', async () => {
    const { logger } = capturingLogger();
    const locking = createScheduler({ knex: db.knex, logger, embedded: false });
    const embedded = createScheduler({ knex: db.knex, logger, embedded: true });
    const gate = deferred();
    let ran = false;
    locking.every(sharedJob, 60_000, () => gate.promise);
    embedded.every(sharedJob, 60_000, async () => {
      ran = true;
    });
    const holding = locking.runNow(sharedJob);
    await new Promise((r) => setTimeout(r, 50));
    // The lock is held, yet the embedded scheduler runs: it never opens a transaction to take it.
    expect(await embedded.runNow(sharedJob)).toBe(true);
    expect(ran).toBe(true);
    gate.resolve();
    expect(await holding).toBe(true);
    await Promise.all([locking.stop(), embedded.stop()]);
  });
});
