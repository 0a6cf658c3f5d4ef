/**
 * Ledger write benchmark: journal entries (two lines each) posted through the HTTP API with C concurrent
 * clients for S seconds, next to the raw PostgreSQL ceiling for the same write shape measured in the same
 * run (`../shared/bench/pg-baseline.sh <S> <C> raw_journal`). Prints `api_entries_per_s=`,
 * `raw_journal_tps=` and `ratio=`.
 *
 *   npm run bench                       # 10 s, 4 clients, 200 accounts
 *   BENCH_SECONDS=20 BENCH_CLIENTS=8 npm run bench
 *
 * Environment: BENCH_DATABASE_URL (a server where the benchmark may create and drop the database
 * `uah_bench`; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS, BENCH_CLIENTS,
 * BENCH_ACCOUNTS. The load generator runs in a child process, so it does not share the server's event loop,
 * and the CPU used per entry is reported for the server process, the PostgreSQL backends and the client.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { createCore, createDatabase, createMemoryBus, type Core, type Database } from '@uah/core';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 4);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 200);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'uah_bench';
/**
 * BENCH_GROUP_COMMIT=off measures the postings without group commit; BENCH_GROUPS sets how many groups may
 * be in flight, BENCH_ALONE how many postings are written alone before the others wait for a group; BENCH_SETUP_SQL runs after the migrations (experiments: what an index or a trigger costs).
 */
const GROUP_COMMIT = {
  enabled: process.env['BENCH_GROUP_COMMIT'] !== 'off',
  ...(process.env['BENCH_GROUPS'] ? { concurrency: Number(process.env['BENCH_GROUPS']) } : {}),
  ...(process.env['BENCH_ALONE'] ? { alone: Number(process.env['BENCH_ALONE']) } : {}),
};
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const baselineScript = resolve(root, '..', 'shared', 'bench', 'pg-baseline.sh');
const print = (line: string): void => void process.stdout.write(`${line}\n`);

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseUrl(): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

/** The load generator: each client posts entries back to back over one keep-alive connection. */
const LOAD = `
const http = require('node:http');
const workerData = JSON.parse(process.argv[1]);
const { port, path, token, accounts, clients, seconds } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const latencies = [];
let ok = 0, failed = 0, firstError = null;
const until = Date.now() + seconds * 1000;
function once() {
  const a = accounts[Math.floor(Math.random() * accounts.length)];
  let b = accounts[Math.floor(Math.random() * accounts.length)];
  while (b === a) b = accounts[Math.floor(Math.random() * accounts.length)];
  const amount = 1 + Math.floor(Math.random() * 100000);
  const body = JSON.stringify({ date: '2026-06-30', currency: 'USD', memo: 'bench', lines: [{ accountId: a, direction: 'DEBIT', amount }, { accountId: b, direction: 'CREDIT', amount }] });
  const started = process.hrtime.bigint();
  return new Promise((done) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 201) { ok++; latencies.push(Number(process.hrtime.bigint() - started) / 1e6); }
        else { failed++; firstError = firstError || res.statusCode + ' ' + Buffer.concat(chunks).toString().slice(0, 300); }
        done();
      });
    });
    req.on('error', (e) => { failed++; firstError = firstError || String(e); done(); });
    req.end(body);
  });
}
async function client() { while (Date.now() < until) await once(); }
Promise.all(Array.from({ length: clients }, client)).then(() => { agent.destroy(); process.stdout.write(JSON.stringify({ ok, failed, firstError, latencies, cpuMicros: process.cpuUsage().user + process.cpuUsage().system })); });
`;

interface LoadResult {
  ok: number;
  failed: number;
  firstError: string | null;
  latencies: number[];
  /** CPU time the load generator used. */
  cpuMicros: number;
}

/** Runs the load generator in a child process, so that its CPU is neither the server's nor measured as it. */
async function runLoad(data: Record<string, unknown>): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', LOAD, JSON.stringify(data)], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadResult;
}

/** CPU time (µs) used so far by the PostgreSQL backends serving the benchmark database (read from /proc). */
async function backendCpuMicros(knex: { raw(sql: string): Promise<{ rows: Array<{ pid: number }> }> }): Promise<number | undefined> {
  const { rows } = await knex.raw(`SELECT pid FROM pg_stat_activity WHERE datname = '${DATABASE}'`);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined; // PostgreSQL runs elsewhere (or /proc is not readable): no figure.
    }
  }
  return (ticks * 1_000_000) / 100;
}

async function baseline(): Promise<number | undefined> {
  if (!existsSync(baselineScript)) {
    print(`raw_journal_tps=unavailable (${baselineScript} is missing)`);
    return undefined;
  }
  const { stdout } = await promisify(execFile)(baselineScript, [String(SECONDS), String(CLIENTS), 'raw_journal']);
  const match = /raw_journal_tps=([0-9.]+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

interface Setup {
  core: Core;
  db: Database;
  port: number;
  organization: { id: string; apiKey: string };
  accounts: string[];
}

/** The organization and its accounts, created through the services (not measured). */
async function populate(core: Core, port: number, db: Database): Promise<Setup> {
  const organization = await core.services.organizations.create({ name: 'Bench Ltd', baseCurrency: 'USD' });
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    accounts.push((await core.services.ledger.accounts.create(organization.id, { code: `B${1000 + i}`, name: `Bench account ${i}`, type: i % 2 ? 'ASSET' : 'EXPENSE' })).id);
  }
  return { core, db, port, organization: { id: organization.id, apiKey: organization.apiKey }, accounts };
}

/** Warms up, then posts for SECONDS and prints the API's rate, latencies and CPU per entry. */
async function measure(setup: Setup): Promise<number> {
  const { organization, accounts, port, db } = setup;
  const load = { port, path: `/v1/organizations/${organization.id}/journal-entries`, token: organization.apiKey, accounts, clients: CLIENTS };
  await runLoad({ ...load, seconds: 2 });
  const groupsBefore = setup.core.groupCommit.stats();
  const serverBefore = process.cpuUsage();
  const pgBefore = await backendCpuMicros(db.knex as never);
  const api = await runLoad({ ...load, seconds: SECONDS });
  const pgAfter = await backendCpuMicros(db.knex as never);
  const serverCpu = process.cpuUsage(serverBefore);
  const perEntry = (micros: number): string => (micros / Math.max(api.ok, 1)).toFixed(0);
  const sorted = [...api.latencies].sort((a, b) => a - b);
  print(`clients=${CLIENTS} seconds=${SECONDS} accounts=${ACCOUNTS}`);
  print(`api_entries=${api.ok} api_failed=${api.failed}${api.firstError ? ` first_error=${JSON.stringify(api.firstError)}` : ''}`);
  print(`api_latency_ms p50=${percentile(sorted, 0.5).toFixed(2)} p90=${percentile(sorted, 0.9).toFixed(2)} p99=${percentile(sorted, 0.99).toFixed(2)}`);
  const postgres = pgBefore !== undefined && pgAfter !== undefined ? perEntry(pgAfter - pgBefore) : 'n/a';
  const groups = setup.core.groupCommit.stats();
  const groupCount = groups.groups - groupsBefore.groups;
  print(`group_commit=${GROUP_COMMIT.enabled ? 'on' : 'off'} groups=${groupCount} members_per_group=${groupCount ? ((groups.members - groupsBefore.members) / groupCount).toFixed(2) : 'n/a'}`);
  print(`cpu_us_per_entry server=${perEntry(serverCpu.user + serverCpu.system)} postgres=${postgres} client=${perEntry(api.cpuMicros)}`);
  const balances = await setup.core.services.ledger.accountBalances(organization.id, {});
  print(`trial_balance_sum=${balances.reduce((sum, b) => sum + b.balance, 0)}`);
  return api.ok / SECONDS;
}

async function main(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await adminQuery(`CREATE DATABASE ${DATABASE}`);
  const db = await createDatabase({ url: databaseUrl(), poolMax: CLIENTS + 2 });
  const logger = pino({ level: 'warn' });
  const bus = createMemoryBus({ logger });
  const core = createCore({ knex: db.knex, bus, logger, adminToken: { verify: async () => false }, rateLimit: { limit: 10_000_000, windowSeconds: 60 }, groupCommit: GROUP_COMMIT });
  const handle = core.app.callback();
  const server = createServer((req, res) => void handle(req, res));
  try {
    await db.migrate();
    if (process.env['BENCH_SETUP_SQL']) await db.knex.raw(process.env['BENCH_SETUP_SQL']);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const rate = await measure(await populate(core, (server.address() as AddressInfo).port, db));
    print(`api_entries_per_s=${rate.toFixed(1)}`);
    const raw = await baseline();
    if (raw !== undefined) {
      print(`raw_journal_tps=${raw.toFixed(1)}`);
      print(`ratio=${(rate / raw).toFixed(3)}`);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await core.close();
    await bus.close();
    await db.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE}`);
  }
}

await main();
