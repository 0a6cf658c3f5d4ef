/**
 * Ledger write benchmark: journal entries (two lines each) posted through the HTTP API with C concurrent
 * clients for S seconds, next to the raw PostgreSQL ceiling for the same write shape measured in the same
 * run (`../shared/bench/pg-baseline.sh <S> <C> raw_journal`). Prints `api_entries_per_s=`,
 * `raw_journal_tps=` and `ratio=`, the latencies, how the postings were grouped, and the CPU per entry.
 *
 *   npm run bench                                   # 10 s after a 10 s warm-up, 4 clients, 200 accounts
 *   BENCH_SECONDS=20 BENCH_CLIENTS=16 npm run bench
 *   BENCH_GROUP_COMMIT=off BENCH_CLIENTS=16 npm run bench    # without group commit (A/B)
 *
 * Environment: BENCH_DATABASE_URL (a server where the benchmark may create and drop the database
 * `uah_bench`; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS, BENCH_CLIENTS,
 * BENCH_ACCOUNTS, BENCH_WARMUP_SECONDS, and for experiments BENCH_GROUP_COMMIT, BENCH_GROUPS,
 * BENCH_FOLLOW_MIN, BENCH_ALONE (the group-commit options) and BENCH_SETUP_SQL (run after the migrations:
 * what an index or a trigger costs). The load generator runs in a child process, so it does not share the
 * server's event loop, and the CPU used per entry is reported for the server process, the PostgreSQL
 * backends (from /proc) and the client.
 *
 * Measuring on this machine (2 vCPUs of a VM, PostgreSQL 15 on the same machine over TCP, synchronous_commit
 * on): the raw baseline itself moves by 20-40% between runs a minute apart and the CPU per entry by 20%, so
 * only runs back to back compare, and one run says little; BENCHMARKS.md has the series.
 *
 * WHAT MOVED THE RATIO (issue 14 part 1), from 0.22 at 4 and 16 clients on an idle machine at the start:
 * - Warm-up. The first seconds run before V8 has optimized the request path: at one client a 5 s run cost
 *   2.1 ms of server CPU an entry, a 20 s run 0.68 ms. The warm-up is 10 s (it was 2 s).
 * - The load generator. node:http's client cost 0.2-0.3 ms of CPU an entry on the same two cores; the
 *   plain-socket client (below) costs 0.06-0.1 ms.
 * - Group commit, now on by default, in one round trip: BEGIN, the group's locks, every member's statement
 *   and COMMIT go out in one write; no savepoints (a failure rolls the group back and its other members go
 *   again in the next group). Up to two groups in flight, the second once four postings wait. PostgreSQL CPU
 *   an entry at 16 clients: 1,220-1,440 µs without, 610-950 µs with (groups of 4.9); at 4 clients 850-1,270
 *   against 550-690 µs (groups of 2).
 * - The router: @koa/router tests a path against every route's pattern, twice a request; matches are now
 *   kept per shape of path (ids replaced), which took router matching from 7% of the server's busy time to
 *   nothing visible.
 * Measured, not kept: a single group in flight (smaller PostgreSQL CPU, less parallelism: 0.33 at 16),
 * three groups (0.40, the same as two), a second group from two or from one waiting posting at 4 clients
 * (0.32 and 0.25 against 0.32), a second group only from eight (0.34 at 16).
 *
 * WHERE THE TIME GOES NOW (16 clients, group commit): about 0.4-0.65 ms of server CPU, 0.6-0.95 ms of
 * PostgreSQL CPU and 0.06-0.12 ms of load generator an entry, against about 0.44 ms of PostgreSQL and 0.1 ms
 * of pgbench for the raw shape. The server's profile is flat: the request's JSON, Koa, pg's protocol code,
 * the entry's own JSON for its event, GC at 5%. The CPU profile's largest item, writev (25-55% of samples),
 * is the process being preempted inside its socket writes when the PostgreSQL backend it wakes takes the
 * core (the signal that takes the sample is delivered when writev returns), not CPU: /proc gives 88% of the
 * server's CPU as user time. The statement does more than the raw shape, by design: three events (the
 * entry's and one account.balance_changed per account, a published contract) with four indexes each, two
 * lines with five indexes, two foreign keys and a row trigger each, two balance upserts, the chart-version
 * guard and the deferred balance check. Dropping two of the events' indexes took PostgreSQL's CPU an entry
 * from about 610 to 510 µs in one run; neither they nor the checks were dropped.
 *
 * NOT REACHED: 0.5x raw at 4 and at 16 clients. Best runs 0.40 at 16 clients (p99 26-37 ms, under the 50 ms
 * target) and 0.32-0.33 at 4. At 16 clients the two cores are about 80% busy with CPU per entry still
 * about twice the raw shape's; at 4 clients each request waits for the group in flight (p50 3.4-3.9 ms).
 * What would close it: one statement for a whole group (the per-statement executor work and JSON parsing
 * once per group, not per posting), fewer index writes per event, and a second core for the server.
 *
 * Later the same day (21:39-22:30 UTC): at the start, idle machine, 0.269 at 4 clients and 0.276 at 16; after
 * the changes below, 0.225-0.239 at 4 and 0.247-0.324 at 16 (the raw baseline 2,791-4,046/s; load 2-4.4), p99
 * 26-30 ms at 16. Every account now has its balance row from its creation (migration 0019), so a group locks
 * every row it writes before its first statement and a first posting to an account can no longer deadlock
 * with a concurrent transaction; it changes nothing on this path once the accounts have been posted to: back
 * to back at 16 clients, 0.371 and 0.342 with it against 0.335 and 0.314 with the trigger dropped
 * (BENCH_SETUP_SQL), server CPU 469-492 against 527-550 µs an entry, PostgreSQL 724-772 against 840-883.
 *
 * 2026-12-07 (00:05-00:40 UTC, a quieter machine: raw_journal 4,165/s at 4 clients and 6,439/s at 16): at the
 * start (`624ce99`) 0.267 at 4 clients and 0.288 at 16. From the two figures of PostgreSQL CPU an entry
 * (612 µs in groups of 2, 510 in groups of 4.9) a group's own work (BEGIN, the lock statement, COMMIT) came
 * to about 345 µs and each posting's statement to about 440. A group now goes out as ONE statement (every
 * parameter a JSON array; the members' arrays are concatenated): each table is written once per group, the
 * balance rows are locked in order by the statement's upsert itself (no lock statement), and the entries of
 * a group are taken in id order, each account's event versions and balances computed with window functions
 * as if the entries were written one after the other. If the statement fails, every member goes again on its
 * own in the next group, so that only the one at fault gets the error. Back to back, before / after:
 * 4 clients 0.265 / 0.316 and 0.225 / 0.286 (PostgreSQL 586 / 483 and 720 / 533 µs an entry, server 453 / 361
 * and 597 / 392), 16 clients 0.344 / 0.403 and 0.305 / 0.404 (PostgreSQL 542 / 426 and 488 / 431, server
 * 362 / 325 and 315 / 324); p99 at 16 clients 16-17 ms. Tried again with the cheaper statement, not kept: a
 * second group from two or from one waiting posting at 4 clients (0.277, 0.294 against 0.343 for the defaults
 * in the same series), one posting alone before the rest wait (0.249).
 * STILL NOT REACHED: 0.5x. At 16 clients an entry costs about 0.8 ms of CPU (server 0.33, PostgreSQL 0.43,
 * load generator 0.05) where pgbench and PostgreSQL spend about 0.3 ms on the raw shape; at 0.5x the two
 * cores would need about 0.6 ms an entry. What is left is what the raw shape does not do: three events with
 * four indexes each, the lines' five indexes, foreign keys and row trigger, the balance upsert, the
 * chart-version guard and the deferred balance check (all kept), and the HTTP request itself.
 *
 * 2026-12-07 (08:22-09:10 UTC): a group's one statement now goes out in autocommit, without BEGIN and COMMIT
 * around it. Alternated with the code before: 16 clients 0.528-0.576 (before 0.482-0.515, p99 18-21 ms), 4
 * clients 0.285-0.368 (before 0.262-0.327); over all thirteen runs of the day at 16 clients 0.425-0.597, 0.5
 * or more in nine; at 4 clients 0.234-0.368. `npm run bench:posting` shows why 4 clients stay below: a posting
 * statement costs PostgreSQL about 1 ms of CPU whatever it writes and 0.19 ms an entry, so the groups of two
 * that four clients make cost an entry far more than the groups of five that sixteen make (BENCHMARKS.md,
 * "Eighth runs").
 *
 * 2026-12-07 (10:38-11:56 UTC): the next group now leaves as soon as a group's outcome is known, before its
 * requests are answered, and a group goes out behind the statement being written on its connection
 * (pipelined) once as many wait as that statement holds, so PostgreSQL starts on it without waiting for this
 * process to read the answer before (printed as `behind_another`). Alternated with the code of the morning:
 * 4 clients 0.377-0.546 against 0.261-0.327 (28-78% more entries/s, p99 7-9 ms), 16 clients 0.533-0.626
 * against 0.450-0.525 (3-14% more). Eleven runs at the defaults: 4 clients 0.350-0.544, median 0.48, 0.5 or
 * more in three; 16 clients 0.465-0.747, 0.5 or more in nine, p99 18-28 ms (BENCHMARKS.md, "Ninth runs"). At 4
 * clients PostgreSQL's one backend is now busy or waiting for its WAL flush all the time; a second connection
 * instead (BENCH_FOLLOW_MIN=2) gave 0.27-0.33.
 *
 * 2026-12-07 (14:17-14:52 UTC, the same code): the baseline ran much faster (raw_journal 3,761-5,158/s at 4
 * clients, 4,435-6,788/s at 16) and the ratio fell to 0.392-0.497 at 4 clients and 0.363-0.432 at 16, although
 * the hub wrote more entries a second than before. With every database guard the posting pays for dropped
 * through BENCH_SETUP_SQL (the deferred balance check, the lines' foreign keys, stamping trigger and CHECK
 * constraints), 0.541-0.596 at 4 and 0.483-0.543 at 16: they are about a fifth of PostgreSQL's CPU a
 * posting, and they are kept. Each one's share is in BENCHMARKS.md ("Tenth runs", "What the guards cost").
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { createCore, createDatabase, createMemoryBus, type Core, type Database } from '@uah/core';
import { adminQuery, backendCpuMicros } from './postgres.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 4);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 200);
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 10);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'uah_bench';
/**
 * BENCH_GROUP_COMMIT=off measures the postings without group commit; BENCH_GROUPS sets how many groups may
 * be in flight, BENCH_FOLLOW_MIN how many postings a group after the first needs, BENCH_ALONE how many
 * postings are written alone before the others wait for a group.
 */
const GROUP_COMMIT = {
  enabled: process.env['BENCH_GROUP_COMMIT'] !== 'off',
  ...(process.env['BENCH_GROUPS'] ? { concurrency: Number(process.env['BENCH_GROUPS']) } : {}),
  ...(process.env['BENCH_FOLLOW_MIN'] ? { followMin: Number(process.env['BENCH_FOLLOW_MIN']) } : {}),
  ...(process.env['BENCH_ALONE'] ? { alone: Number(process.env['BENCH_ALONE']) } : {}),
};
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const baselineScript = resolve(root, '..', 'shared', 'bench', 'pg-baseline.sh');
const print = (line: string): void => void process.stdout.write(`${line}\n`);

function databaseUrl(): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

/**
 * The load generator: each client posts entries back to back over one keep-alive connection. It speaks
 * HTTP/1.1 on a plain socket (the request written in one piece, the answer read by its Content-Length), as
 * wrk or pgbench would: node:http's client cost about 0.25 ms of CPU an entry on the same two cores as the
 * server, a tenth of everything measured, where this costs a few tens of µs.
 */
const LOAD = `
const net = require('node:net');
const workerData = JSON.parse(process.argv[1]);
const { port, path, token, accounts, clients, seconds } = workerData;
const latencies = [];
let ok = 0, failed = 0, firstError = null;
const until = Date.now() + seconds * 1000;
const head = 'POST ' + path + ' HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nAuthorization: Bearer ' + token + '\\r\\nContent-Type: application/json\\r\\nConnection: keep-alive\\r\\nContent-Length: ';
function request() {
  const a = accounts[Math.floor(Math.random() * accounts.length)];
  let b = accounts[Math.floor(Math.random() * accounts.length)];
  while (b === a) b = accounts[Math.floor(Math.random() * accounts.length)];
  const amount = 1 + Math.floor(Math.random() * 100000);
  const body = JSON.stringify({ date: '2026-06-30', currency: 'USD', memo: 'bench', lines: [{ accountId: a, direction: 'DEBIT', amount }, { accountId: b, direction: 'CREDIT', amount }] });
  return head + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body;
}
function client() {
  return new Promise((finished) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0), started = 0n;
    const send = () => {
      if (Date.now() >= until) { socket.end(); return finished(); }
      started = process.hrtime.bigint();
      socket.write(request());
    };
    socket.on('connect', send);
    socket.on('error', (e) => { failed++; firstError = firstError || String(e); finished(); });
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      for (;;) {
        const end = buffered.indexOf('\\r\\n\\r\\n');
        if (end < 0) return;
        const headers = buffered.subarray(0, end).toString('latin1');
        const length = /\\r\\ncontent-length: *(\\d+)/i.exec(headers);
        if (!length) { failed++; firstError = firstError || 'answer without Content-Length: ' + headers.slice(0, 300); socket.destroy(); return finished(); }
        const total = end + 4 + Number(length[1]);
        if (buffered.length < total) return;
        const status = Number(headers.slice(9, 12));
        if (status === 201) { ok++; latencies.push(Number(process.hrtime.bigint() - started) / 1e6); }
        else { failed++; firstError = firstError || status + ' ' + buffered.subarray(end + 4, total).toString().slice(0, 300); }
        buffered = buffered.subarray(total);
        send();
      }
    });
  });
}
Promise.all(Array.from({ length: clients }, client)).then(() => { const cpu = process.cpuUsage(); process.stdout.write(JSON.stringify({ ok, failed, firstError, latencies, cpuMicros: cpu.user + cpu.system })); });
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
  await runLoad({ ...load, seconds: WARMUP_SECONDS });
  const groupsBefore = setup.core.groupCommit.stats();
  const serverBefore = process.cpuUsage();
  const pgBefore = await backendCpuMicros(db.knex as never, DATABASE);
  const api = await runLoad({ ...load, seconds: SECONDS });
  const pgAfter = await backendCpuMicros(db.knex as never, DATABASE);
  const serverCpu = process.cpuUsage(serverBefore);
  const perEntry = (micros: number): string => (micros / Math.max(api.ok, 1)).toFixed(0);
  const sorted = [...api.latencies].sort((a, b) => a - b);
  print(`clients=${CLIENTS} seconds=${SECONDS} accounts=${ACCOUNTS}`);
  print(`api_entries=${api.ok} api_failed=${api.failed}${api.firstError ? ` first_error=${JSON.stringify(api.firstError)}` : ''}`);
  print(`api_latency_ms p50=${percentile(sorted, 0.5).toFixed(2)} p90=${percentile(sorted, 0.9).toFixed(2)} p99=${percentile(sorted, 0.99).toFixed(2)}`);
  const postgres = pgBefore !== undefined && pgAfter !== undefined ? perEntry(pgAfter - pgBefore) : 'n/a';
  const groups = setup.core.groupCommit.stats();
  const groupCount = groups.groups - groupsBefore.groups;
  print(`group_commit=${GROUP_COMMIT.enabled ? 'on' : 'off'} groups=${groupCount} members_per_group=${groupCount ? ((groups.members - groupsBefore.members) / groupCount).toFixed(2) : 'n/a'} as_one_statement=${groups.merged - groupsBefore.merged} behind_another=${groups.behind - groupsBefore.behind}`);
  print(`cpu_us_per_entry server=${perEntry(serverCpu.user + serverCpu.system)} postgres=${postgres} client=${perEntry(api.cpuMicros)}`);
  const balances = await setup.core.services.ledger.accountBalances(organization.id, {});
  print(`trial_balance_sum=${balances.reduce((sum, b) => sum + b.balance, 0)}`);
  return api.ok / SECONDS;
}

async function main(): Promise<void> {
  await adminQuery(SERVER_URL, `DROP DATABASE IF EXISTS ${DATABASE}`);
  await adminQuery(SERVER_URL, `CREATE DATABASE ${DATABASE}`);
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
    await adminQuery(SERVER_URL, `DROP DATABASE IF EXISTS ${DATABASE}`);
  }
}

await main();
