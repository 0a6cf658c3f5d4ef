/**
 * The hub under test runs as a child process (so it can be SIGKILLed) on a private PostgreSQL and RabbitMQ;
 * writes go through HTTP with an Idempotency-Key each; a consumer of our own on `uah.events` collects event ids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Connection } from 'rabbitmq-client';
import { afterAll, beforeAll } from 'vitest';
import { PUBLISHED_THROUGH } from '@uah/core';
import { testQueueName } from '../../core/src/events/testing.js';
import { testHubQueues } from '../hub-queues.js';
import { freePort, startPrivatePostgres, startPrivateRabbit, type PrivatePostgres, type PrivateRabbit } from './services.js';

const root = join(import.meta.dirname, '..', '..');

/** `npm run test:faults` sets FAULTS=full: the sizes the issue asks for. `npm test` runs the quick variants. */
export const FULL = process.env['FAULTS'] === 'full';

export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface HubProcess {
  port: number;
  url: string;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface HubEnv {
  databaseUrl: string;
  amqpUrl: string;
  adminToken: string;
  extra?: Record<string, string>;
}

/**
 * Hub processes of one test file, competing on the same queues (named as every test's are, so a run that
 * pointed them at the shared broker would find them after); `stopAll` ends those still running.
 */
export function createHubs(env: HubEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-faults-hub-'));
  const queues = testHubQueues();
  const running = new Set<ChildProcess>();
  let started = 0;

  async function start(port?: number): Promise<HubProcess> {
    const chosen = port ?? (await freePort());
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(chosen),
        HOST: '127.0.0.1',
        DATABASE_URL: env.databaseUrl,
        AMQP_URL: env.amqpUrl,
        HUB_ADMIN_TOKEN: env.adminToken,
        HUB_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
        RATE_LIMIT: '1000000',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...queues,
        ...env.extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(dataDir, `hub-${++started}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    running.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void exited.then(() => running.delete(child));
    const url = `http://127.0.0.1:${chosen}`;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}; see ${dataDir}`);
      return (await fetch(`${url}/ready`).catch(() => undefined))?.ok === true;
    }, `the hub on port ${chosen}`, 90_000);
    return {
      port: chosen,
      url,
      child,
      async kill(signal = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
  }

  return {
    dataDir,
    start,
    async stopAll(keepLogs = false) {
      await Promise.all([...running].map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }));
      if (keepLogs) process.stderr.write(`hub logs kept in ${dataDir}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
  contentType: string;
  headers: Headers;
}

/** One HTTP request; a refused or reset connection answers status 0. */
export async function request(url: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, contentType: response.headers.get('content-type') ?? '', headers: response.headers };
  } catch {
    return { status: 0, body: undefined, contentType: '', headers: new Headers() };
  }
}

export async function createOrganization(url: string, adminToken: string, name: string): Promise<{ id: string; apiKey: string }> {
  const answer = await request(url, adminToken, 'POST', '/v1/organizations', { name: `${name} ${randomBytes(3).toString('hex')}` });
  if (answer.status !== 201) throw new Error(`organization not created: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id: String(answer.body?.['id']), apiKey: String(answer.body?.['apiKey']) };
}

/** A balanced two-line entry whose memo is its idempotency key, so duplicates can be counted in SQL. */
export function journalEntry(key: string, amount = 1000): Record<string, unknown> {
  return {
    date: '2026-03-01',
    currency: 'USD',
    memo: key,
    lines: [
      { accountCode: '1000', direction: 'DEBIT', amount },
      { accountCode: '3000', direction: 'CREDIT', amount },
    ],
  };
}

export interface Write {
  key: string;
  path: string;
  body: unknown;
  answers: Answer[];
}

/** Sends every write with `concurrency` in flight; `target()` picks the hub for each attempt. */
export async function burst(writes: Write[], concurrency: number, target: () => { url: string; token: string }, onAnswer?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  async function lane(): Promise<void> {
    for (let i = next++; i < writes.length; i = next++) {
      const write = writes[i]!;
      const { url, token } = target();
      write.answers.push(await request(url, token, 'POST', write.path, write.body, { 'idempotency-key': write.key }));
      onAnswer?.(++done);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** Retries each write that has no 2xx yet (same key, same body) until it has one. */
export async function retryUntilAccepted(writes: Write[], target: () => { url: string; token: string }, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = writes.filter((w) => !accepted(w));
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.length} writes still not accepted; last answer ${JSON.stringify(pending[0]?.answers.at(-1))}`);
    await burst(pending, 8, target);
    pending = pending.filter((w) => !accepted(w));
    if (pending.length > 0) await sleep(500);
  }
}

export const accepted = (write: Write): boolean => write.answers.some((a) => a.status >= 200 && a.status < 300);
export const firstAccepted = (write: Write): Answer | undefined => write.answers.find((a) => a.status >= 200 && a.status < 300);

/** A durable queue of our own bound to `uah.events` for one organization, collecting event ids. */
export async function collectEvents(amqpUrl: string, organizationId: string): Promise<{ ids: Map<string, number>; close(): Promise<void> }> {
  const rabbit = new Connection({ url: amqpUrl, retryLow: 200, retryHigh: 1000 });
  rabbit.on('error', () => undefined);
  const ids = new Map<string, number>();
  const queue = testQueueName(`faults.${organizationId}`);
  const consumer = rabbit.createConsumer(
    {
      queue,
      queueOptions: { durable: true },
      exchanges: [{ exchange: 'uah.events', type: 'topic', durable: true }],
      queueBindings: [{ exchange: 'uah.events', queue, routingKey: `${organizationId}.#` }],
      qos: { prefetchCount: 200 },
    },
    async (message) => {
      const id = (message.body as { id?: string } | undefined)?.id ?? message.messageId ?? '';
      ids.set(id, (ids.get(id) ?? 0) + 1);
    },
  );
  consumer.on('error', () => undefined);
  await new Promise<void>((resolve) => consumer.once('ready', () => resolve()));
  return {
    ids,
    async close() {
      await consumer.close();
      await rabbit.close();
    },
  };
}

/** A database of its own on a private server, and a client to check it with. */
export async function createDatabase(serverUrl: string, name: string): Promise<{ url: string; db: pg.Pool; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // A pool, so the checks reconnect by themselves after the server restarts.
  const db = new pg.Pool({ connectionString: url.href, max: 2 });
  db.on('error', () => undefined);
  return { url: url.href, db, drop: () => db.end().catch(() => undefined) };
}

/** Every event of the organization that the outbox holds, and whether each was confirmed published. */
export async function outboxOf(db: pg.Pool, organizationId: string): Promise<Array<{ id: string; type: string; aggregateId: string; published: boolean }>> {
  const { rows } = await db.query<{ id: string; type: string; aggregateId: string; published: boolean }>(
    `SELECT id, type, aggregate_id AS "aggregateId", seq <= ${PUBLISHED_THROUGH} AS published FROM events WHERE organization_id = $1 ORDER BY seq`,
    [organizationId],
  );
  return rows;
}

/** Journal entries whose debits and credits differ per currency, or that have fewer than two lines. */
export async function unbalancedEntries(db: pg.Pool, organizationId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM journal_entries e
      WHERE e.organization_id = $1 AND (
        (SELECT count(*) FROM journal_lines l WHERE l.entry_id = e.id) < 2 OR EXISTS (
          SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id GROUP BY l.currency
          HAVING sum(CASE WHEN l.direction = 'DEBIT' THEN l.amount ELSE -l.amount END) <> 0))`,
    [organizationId],
  );
  return Number(rows[0]?.n);
}

/** Keys of the burst (the memo) written more than once, and how many distinct ones were written. */
export async function entriesByMemo(db: pg.Pool, organizationId: string, prefix: string): Promise<{ distinct: number; duplicated: number; total: number }> {
  const { rows } = await db.query<{ distinct: string; total: string }>(
    'SELECT count(DISTINCT memo) AS distinct, count(*) AS total FROM journal_entries WHERE organization_id = $1 AND memo LIKE $2',
    [organizationId, `${prefix}%`],
  );
  const distinct = Number(rows[0]?.distinct);
  const total = Number(rows[0]?.total);
  return { distinct, total, duplicated: total - distinct };
}

/**
 * Keyed writes at about `perSecond` until `stop()`, each from `make(i)`; `target(i)` picks the hub of each
 * attempt. Returns every write with its answers.
 */
export function steady(perSecond: number, make: (i: number) => Omit<Write, 'answers'>, target: (i: number) => { url: string; token: string }) {
  const writes: Write[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const started = Date.now();
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const write: Write = { ...make(i), answers: [] };
      writes.push(write);
      const { url, token } = target(i);
      // A long timeout: on a loaded machine a steady writer's requests queue, and a slow answer is not a refusal.
      const sent = request(url, token, 'POST', write.path, write.body, { 'idempotency-key': write.key }, 120_000).then((answer) => void write.answers.push(answer));
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      const due = started + ((i + 1) * 1000) / perSecond;
      await sleep(Math.max(0, due - Date.now()));
    }
  })();
  return {
    writes,
    async stop(): Promise<Write[]> {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
      return writes;
    },
  };
}

/** What a fault test file runs against: its own PostgreSQL and RabbitMQ, a database on it, and its hubs. */
export interface FaultEnvironment {
  postgres: PrivatePostgres;
  rabbit: PrivateRabbit;
  database: Awaited<ReturnType<typeof createDatabase>>;
  hubs: ReturnType<typeof createHubs>;
  /** The test passed: the hubs' logs are removed (they are kept, and their folder printed, otherwise). */
  passed(): void;
}

/**
 * Starts a private PostgreSQL and RabbitMQ before the file's tests, with database `name` and a hub launcher
 * (the admin token and `extra` settings given), and stops and removes them all after.
 */
export function useFaultEnvironment(name: string, hub: { adminToken: string; extra?: Record<string, string> }): FaultEnvironment {
  let ok = false;
  const env = { passed: () => void (ok = true) } as FaultEnvironment;
  beforeAll(async () => {
    [env.postgres, env.rabbit] = await Promise.all([startPrivatePostgres(), startPrivateRabbit()]);
    env.database = await createDatabase(env.postgres.url, name);
    env.hubs = createHubs({ databaseUrl: env.database.url, amqpUrl: env.rabbit.url, ...hub });
  }, 180_000);
  afterAll(async () => {
    await env.hubs?.stopAll(!ok);
    await env.database?.drop();
    await Promise.all([env.postgres?.stop(), env.rabbit?.stop()]);
  }, 120_000);
  return env;
}
