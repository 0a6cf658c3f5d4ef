/**
 * Ledger write benchmark: journal entries (two lines each) posted through the HTTP API with C concurrent
 * clients for S seconds, next to the raw PostgreSQL ceiling for the same write shape measured in the same
 * run (`../shared/bench/pg-baseline.sh <S> <C> raw_journal`). Prints `api_entries_per_s=`,
 * `raw_journal_tps=` and `ratio=`, the latencies, how the postings were grouped, and the CPU per entry.
 *
 *   npm run bench                                   # 10 s, 4 clients, 200 accounts
 *   BENCH_SECONDS=20 BENCH_CLIENTS=16 npm run bench
 *   BENCH_GROUP_COMMIT=on BENCH_CLIENTS=16 npm run bench    # the same with group commit (A/B; off by default)
 *
 * Environment: BENCH_DATABASE_URL (a server where the benchmark may create and drop the database
 * `uah_bench`; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS, BENCH_CLIENTS,
 * BENCH_ACCOUNTS, and for experiments BENCH_GROUP_COMMIT, BENCH_GROUPS, BENCH_ALONE, BENCH_SETUP_SQL (below).
 * The load generator runs in a child process, so it does not share the server's event loop, and the CPU
 * used per entry is reported for the server process, the PostgreSQL backends (from /proc) and the client.
 *
 * FIGURES (issue 14 part 1, 2026-12-06). Machine: 2 vCPUs (a Firecracker VM) shared with several other
 * people's test runs, PostgreSQL 15 on the same machine over TCP 127.0.0.1, synchronous_commit on. The load
 * average was 2.5-10 for the first runs and 17-25 for everything after 15:42 UTC: absolute figures are
 * depressed and swing by 2x from one run to the next, so only pairs run back to back compare. Each line is
 * one `npm run bench` (10 s, 200 accounts): ratio, p99, then CPU µs per entry server/PostgreSQL/client.
 *
 *   Before (the posting one autocommit statement per request, as it was):
 *     c=4   load 2.5  ratio 0.159  p99  86 ms  cpu 1216/917/416
 *     c=16  load 8.0  ratio 0.111  p99  94 ms  cpu  559/735/190
 *     c=16  load 10   ratio 0.201  p99  91 ms  cpu  544/684/162   (under --cpu-prof)
 *   A/B under load 17-25, group commit off vs one group in flight and no postings written alone
 *   (BENCH_ALONE=0 BENCH_GROUPS=1), pairs run back to back:
 *     c=16  off  ratio 0.077 0.060 0.095 0.066         p99 202-326 ms  cpu 1026-1686 / 864-1158
 *           on   ratio 0.090 0.065 0.064 0.069 0.059    p99 225-369 ms  cpu  796-1436 / 522-766
 *                7.1-7.4 postings per group; mean CPU per entry server 1448 -> 1199 (-17%),
 *                PostgreSQL 1035 -> 659 (-36%); mean ratio 0.069 -> 0.069
 *     c=4   off  ratio 0.143 0.146                     p99  69-99 ms   cpu 1345-1535 / 893-1038
 *           on   ratio 0.116 0.091                     p99 103-119 ms  cpu 1731-1973 / 878-992
 *                1.9 postings per group: too few to pay for BEGIN/SAVEPOINT/COMMIT, and the one group
 *                in flight queues postings that would otherwise run side by side
 *     c=16  two or four groups in flight (BENCH_GROUPS=2/4): 1.8-3.5 per group, ratio 0.040-0.062: worse
 *   Written alone while nothing waits, up to 4 in flight (BENCH_ALONE=4), tried as a default and dropped:
 *     c=16  on   ratio 0.052 0.062 0.145  p99 377 478 227 ms  cpu 1569/936 1320/822 1120/838  (1.4-1.5 per
 *                group; the third run under --cpu-prof, alone, in a quieter moment)
 *           off  ratio 0.045              p99 463 ms          cpu 1714/1121
 *     c=4   on   ratio 0.085  p99 129 ms  cpu 2074/1161  (every posting alone: the same path as off)
 *           off  ratio 0.080  p99 138 ms  cpu 1903/1208
 *   The default kept (BENCH_ALONE=0, one group in flight), after the group's locks were taken in account
 *   order (below), load 9-12 at 16:49-16:52 UTC, in this order:
 *     c=16  alone=4  ratio 0.092  p99 171 ms  cpu 1266/879   (1.47 per group)
 *           on       ratio 0.158  p99  82 ms  cpu  635/560   (7.78 per group)
 *           off      ratio 0.098  p99 150 ms  cpu 1145/1106
 *           on       ratio 0.128  p99 111 ms  cpu  724/608   (7.65 per group)
 *     c=4   off      ratio 0.169  p99  46 ms  cpu 1170/972
 *           on       ratio 0.161  p99  49 ms  cpu 1238/790   (1.91 per group)
 *           alone=4  ratio 0.211  p99  41 ms  cpu  846/802   (every posting alone, i.e. the path of off)
 *   Other levers (c=16, BENCH_ALONE=4, BENCH_SETUP_SQL, one run each next to the 0.052/0.062 runs):
 *     events without the unique(seq) and (organization_id, seq) indexes:   ratio 0.053  cpu 1482/905
 *     one event per posting (account.balance_changed skipped by a trigger): ratio 0.053  cpu 1484/877
 *
 * WHERE THE SERVER'S TIME GOES (--cpu-prof of this process at c=16; shares of the busy, non-idle time).
 * Before: writing to sockets (writev: the statement to PostgreSQL and the answer to the client) 36%, of
 * which the node-pg submit path of the posting statement is most (27%); Koa's respond 14%; the route
 * handler (key lookup from the cache, rate limit, validation, the idempotency wrapper) 12%; the JSON body
 * 8%; preparing the entry (validation, amounts) 2%; writeEntry's own JS 4%; GC 4%; the rest is HTTP
 * parsing, routing, logging and metrics at 1-4% each. The per-request work the issue names (key lookup, rate
 * limit, idempotency, validation, logging, metrics) is already cached or in memory and together under a
 * fifth of the server's CPU; no single part of it is worth a change. What costs is the number of socket
 * writes and wake-ups per entry: on this VM each write to a loopback socket wakes the other side and the
 * sampled time in writev is as large as everything else the request does.
 * After (with BENCH_ALONE=4, c=16): writev 20% of busy time (from 36%); sending groups and lone
 * postings, their writes included, 21%; respond 11%, route handler 10%, JSON body 9%.
 *
 * ANALYSIS. Group commit does what it should for the database: at 16 clients with groups of ~7-8 it takes
 * a third to a half off PostgreSQL's CPU per entry (one transaction, one WAL flush and no per-statement
 * commit for seven postings) and a sixth to a third off the server's (two socket writes per group instead
 * of one per posting). Under load 20+ that did not show in the ratio (0.069 both ways): with 20 runnable
 * processes on 2 cores a process gets its share of CPU time, not the CPU it needs, and a group is written
 * by one PostgreSQL backend where 16 autocommit statements were written by 16. At load 9-12 it did:
 * 0.13-0.16 against 0.10 without, p99 82-111 ms against 150. At 4 clients the groups are ~2 postings and
 * the ratio is the same within the noise (0.161 against 0.169; under load 20+ it was lower, 0.09-0.12
 * against 0.14). Writing postings alone while few are in flight (BENCH_ALONE=4) keeps 4 clients exactly on
 * the old path but leaves 16 clients with groups of 1.4 and most of the cost, so it is off by default.
 * Fewer events per posting or fewer event indexes changed the CPU per entry by less than the run-to-run
 * noise: the account.balance_changed events (a published contract) and the event indexes (used by the
 * relay and the event stream) stay.
 *
 * Correctness: a group locks all its members' balance rows in account order before any member runs (the
 * order every posting statement takes its own rows in), so a group cannot deadlock with a request that
 * posts in its own transaction (with an Idempotency-Key, or a document's posting); a first posting to an
 * account creates its balance row inside the member and is the one case not ordered up front (a deadlock
 * there costs the member a retry in the next group, or the other transaction its request, which is then
 * answered 503 with Retry-After like every deadlock victim).
 *
 * Measured again at load 3-6 (17:03-17:05 UTC, back to back): c=4 on 0.172 p99 26 ms cpu 1154/927, off
 * 0.144 p99 26 ms cpu 1110/1151; c=16 on 0.133 (609 entries/s, 7.7 a group) p99 66 ms cpu 607/612, off 0.224
 * (914 entries/s) p99 55 ms cpu 514/832. With CPU to spare, waiting for each group's commit costs more
 * throughput than the shared WAL flush saves, so group commit is OFF by default (LEDGER_GROUP_COMMIT=true in
 * the hub, BENCH_GROUP_COMMIT=on here): it pays when PostgreSQL's CPU is what runs out.
 *
 * NOT REACHED: 0.5x raw at 4 and at 16 clients and p99 under 50 ms at 16. Best seen: 0.21 (4 clients) and
 * 0.16 with p99 82 ms (16 clients) at load 9-12. The raw shape costs PostgreSQL about a third of our
 * statement (three events with five indexes each, two line rows with three indexes, two balance upserts,
 * the chart-version guard and the deferred balance check) and pgbench's client costs almost nothing,
 * while our server still spends 0.6-1.2 ms of CPU per entry on HTTP, JSON and the driver and the load
 * generator 0.2-0.4 ms: on 2 shared cores the ratio is bounded by total CPU per entry, and reaching 0.5
 * needs it roughly halved again. What would close the gap: a quiet machine to measure on (ratios here swing
 * 2x between identical runs); fewer index writes per posting (e.g. one events index fewer and the balance
 * events folded into the entry's event, a contract change); fewer wake-ups per entry (HTTP pipelining or
 * batched requests from clients).
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
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 10);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'uah_bench';
/**
 * BENCH_GROUP_COMMIT=off measures the postings without group commit; BENCH_GROUPS sets how many groups may
 * be in flight, BENCH_ALONE how many postings are written alone before the others wait for a group; BENCH_SETUP_SQL runs after the migrations (experiments: what an index or a trigger costs).
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
  await runLoad({ ...load, seconds: WARMUP_SECONDS });
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
