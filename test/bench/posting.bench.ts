/**
 * What a posting costs PostgreSQL, by part, next to the raw shape: `npm run bench:posting`.
 *
 * The ledger benchmark (`npm run bench`) measures postings through the API; this one takes the HTTP server
 * away and asks where PostgreSQL's part of an entry goes. Each variant below is one statement, prepared and
 * sent in autocommit on a connection of its own (as group commit sends a group: one statement, its own
 * transaction with its WAL flush), and the variants take turns, one statement each, for BENCH_ROUNDS
 * rounds, so that a machine that slows down or speeds up during the run does so for all of them. For each,
 * the CPU its PostgreSQL backend used (from /proc) and the wall time of its round trips:
 *
 * - `commit`: a one-row insert into a table with no index: what a transaction and its WAL flush cost alone;
 * - `raw_journal`: the write shape of ../shared/bench/pgbench/raw_journal.sql (entry, two postings, one
 *   event), the statement the ledger benchmark's baseline runs with pgbench, on its own schema;
 * - `entry+lines`, `no-events`, `posting`: the ledger's posting statement (journal-store.ts) cut after its
 *   lines, after its balances, and whole, for groups of 1 and of BENCH_GROUP entries (default 4).
 *
 *   npm run bench:posting
 *   BENCH_ROUNDS=1000 BENCH_GROUP=8 npm run bench:posting
 *
 * BENCH_ONLY=posting_1,raw_journal runs only the variants named (to profile one with perf).
 * BENCH_SETUP_SQL runs after the migrations (what a check, a trigger or an index costs).
 *
 * Comparing two schemas or two statements in one run: BENCH_COMPARE_SQL sets up a second database the same
 * way, with this SQL after the migrations instead of BENCH_SETUP_SQL, and every variant runs on both, taking
 * turns (the second's named `…@b`), so that the machine's own changes of speed fall on both. With
 * BENCH_COMPARE_STATEMENT (a file), the second database's posting variants run the statement in that file
 * (the same four parameters) instead of the ledger's; without BENCH_COMPARE_SQL, both databases are set up
 * alike. The two sides differ by a few percent even when they
 * are the same (their place in the round): run it both ways round, BENCH_SETUP_SQL and BENCH_COMPARE_SQL
 * swapped; the change's effect is the square root of (b/a with it on b) / (b/a with it on a). BENCHMARKS.md
 * has such a series.
 *
 * BENCH_DATABASE_URL: a server where the benchmark may create and drop the databases `uah_bench_posting` and
 * `uah_bench_posting_b` (default postgres://postgres@127.0.0.1:5432/postgres). The backend's CPU is read from
 * /proc, so the server must run on this machine; /proc counts in 10 ms ticks, so a few hundred rounds are
 * needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { createCore, createDatabase, createMemoryBus } from '@uah/core';
import { concatenateBatches } from '../../core/src/db/group-commit.js';
import { toNative } from '../../core/src/db/prepared.js';
import { loadContext, postingParameters, WRITE_SQL } from '../../core/src/ledger/journal-store.js';
import { prepareEntry } from '../../core/src/ledger/posting.js';
import type { LedgerContext } from '../../core/src/ledger/types.js';
import { adminQuery, processCpuMicros } from './postgres.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 400);
const GROUP = Number(process.env['BENCH_GROUP'] ?? 4);
const SERVER_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY = process.env['BENCH_ONLY']?.split(',');
const SETUP_SQL = process.env['BENCH_SETUP_SQL'];
const COMPARE_SQL = process.env['BENCH_COMPARE_SQL'];
const COMPARE_STATEMENT = process.env['BENCH_COMPARE_STATEMENT'];
const DATABASE = 'uah_bench_posting';
const ACCOUNTS = 200;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const baselineDir = resolve(root, '..', 'shared', 'bench', 'pgbench');
const print = (line: string): void => void process.stdout.write(`${line}\n`);

interface Ledger {
  organizationId: string;
  context: LedgerContext;
  accounts: string[];
}

interface Variant {
  name: string;
  /** Entries a statement writes. */
  entries: number;
  sql: string;
  values(): unknown[];
  /** Rows each statement must answer (a posting statement answers one per entry written; none when refused). */
  rows?: number;
  /** Run on the variant's connection before the rounds. */
  setup?: string;
  /** The database it runs on. */
  url?: string;
  client?: pg.Client;
  pid?: number | undefined;
  cpu?: number | undefined;
  times: number[];
}

/** The posting statement cut just before the CTE `cte` (and its later ones): the parts written before it, and its answer. */
function cutBefore(cte: string, sql = WRITE_SQL): string {
  const at = sql.indexOf(`), ${cte} AS (`);
  const answer = sql.indexOf('SELECT id AS key, number FROM entry');
  if (at < 0 || answer < 0) throw new Error(`The posting statement has no CTE ${cte} to cut before: update this benchmark.`);
  return `${sql.slice(0, at)})\n${sql.slice(answer)}`;
}

const pick = (accounts: string[]): string => accounts[Math.floor(Math.random() * accounts.length)] as string;

/**
 * The posting statement's parameters for `count` two-line entries, as the ledger writes them: each entry
 * prepared and turned into the statement's parameters by the ledger's own code, the entries' parameters
 * concatenated as group commit concatenates a group's.
 */
function postingValues(ledger: Ledger, count: number): string[] {
  const entries = Array.from({ length: count }, () => {
    const debit = pick(ledger.accounts);
    let credit = pick(ledger.accounts);
    while (credit === debit) credit = pick(ledger.accounts);
    const amount = 1 + Math.floor(Math.random() * 100_000);
    const prepared = prepareEntry({ date: '2026-06-30', currency: 'USD', memo: 'bench', lines: [{ account: { id: debit }, direction: 'DEBIT', amount }, { account: { id: credit }, direction: 'CREDIT', amount }] }, ledger.context);
    return postingParameters(ledger.organizationId, prepared, ledger.context, { source: 'API' }).values;
  });
  const values = concatenateBatches(entries);
  if (!values) throw new Error('The posting statement\'s parameters are no longer JSON arrays: update this benchmark.');
  return values;
}

/** raw_journal.sql's statement (between its BEGIN and COMMIT) with its pgbench variables as parameters. */
function rawJournal(): Variant | undefined {
  const file = resolve(baselineDir, 'raw_journal.sql');
  if (!existsSync(file) || !existsSync(resolve(baselineDir, 'schema.sql'))) return undefined;
  const script = readFileSync(file, 'utf8');
  const body = /BEGIN;\n([\s\S]*?);\s*\nCOMMIT;/.exec(script)?.[1];
  if (!body) throw new Error(`${file} no longer has one statement between BEGIN and COMMIT: update this benchmark.`);
  const slots = { a: 1, b: 2, amt: 3 } as const;
  const sql = body.replace(/:(amt|a|b)\b/g, (_, name: keyof typeof slots) => `$${slots[name]}`);
  return {
    name: 'raw_journal',
    entries: 1,
    sql,
    setup: 'SET search_path = raw',
    values: () => {
      const a = 1 + Math.floor(Math.random() * 10_000);
      return [a, (a % 10_000) + 1, 1 + Math.floor(Math.random() * 100_000)];
    },
    times: [],
  };
}

async function prepare(url: string, setupSql: string | undefined): Promise<Ledger> {
  const db = await createDatabase({ url, poolMax: 2 });
  const logger = pino({ level: 'warn' });
  const bus = createMemoryBus({ logger });
  const core = createCore({ knex: db.knex, bus, logger, adminToken: { verify: async () => false } });
  try {
    await db.migrate();
    const organization = await core.services.organizations.create({ name: 'Bench Ltd', baseCurrency: 'USD' });
    const accounts: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) accounts.push((await core.services.ledger.accounts.create(organization.id, { code: `B${1000 + i}`, name: `Bench account ${i}`, type: i % 2 ? 'ASSET' : 'EXPENSE' })).id);
    const context = await loadContext(db.knex, organization.id, accounts.map((id) => ({ id })));
    if (!context) throw new Error('The organization has no ledger.');
    await db.knex.raw('CREATE TABLE bench_commit (n int)');
    if (setupSql) await db.knex.raw(setupSql);
    const shared = resolve(baselineDir, 'schema.sql');
    if (existsSync(shared)) await db.knex.raw(`CREATE SCHEMA raw; SET search_path = raw; ${readFileSync(shared, 'utf8')}; SET search_path = public`);
    return { organizationId: organization.id, context, accounts };
  } finally {
    await core.close();
    await bus.close();
    await db.close();
  }
}

async function run(variant: Variant): Promise<void> {
  const client = variant.client as pg.Client;
  const started = process.hrtime.bigint();
  const result = await client.query({ name: variant.name, text: variant.sql, values: variant.values() });
  if (variant.rows !== undefined && result.rows.length !== variant.rows) throw new Error(`${variant.name} wrote ${result.rows.length} entries, not ${variant.rows}.`);
  variant.times.push(Number(process.hrtime.bigint() - started) / 1000);
}

/** The variants on one database, set up with `setupSql` after the migrations; `suffix` names them apart. */
async function variantsOn(database: string, setupSql: string | undefined, suffix: string): Promise<Variant[]> {
  await adminQuery(SERVER_URL, `DROP DATABASE IF EXISTS ${database}`);
  await adminQuery(SERVER_URL, `CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const ledger = await prepare(url.toString(), setupSql);
  const posting = (name: string, sql: string, entries: number): Variant => ({ name: `${name}_${entries}${suffix}`, entries, rows: entries, sql: toNative(`bench_${name}_${entries}`, sql), values: () => postingValues(ledger, entries).slice(0, (sql.match(/\?/g) ?? []).length), times: [] });
  const statement = suffix && COMPARE_STATEMENT ? readFileSync(COMPARE_STATEMENT, 'utf8') : WRITE_SQL;
  const raw = rawJournal();
  const variants: Variant[] = [
    { name: `commit${suffix}`, entries: 1, sql: 'INSERT INTO bench_commit (n) VALUES ($1)', values: () => [1], times: [] },
    ...(raw ? [{ ...raw, name: `${raw.name}${suffix}` }] : []),
    ...[1, GROUP].flatMap((n) => [posting('entry+lines', cutBefore('base', statement), n), posting('no-events', cutBefore('appended', statement), n), posting('posting', statement, n)]),
  ].filter((variant) => !ONLY || ONLY.includes(variant.name.replace(/@b$/, '')));
  for (const variant of variants) variant.url = url.toString();
  return variants;
}

async function main(): Promise<void> {
  const compare = COMPARE_SQL !== undefined || COMPARE_STATEMENT !== undefined;
  const databases = [DATABASE, ...(compare ? [`${DATABASE}_b`] : [])];
  const clients: pg.Client[] = [];
  try {
    const variants = [
      ...(await variantsOn(DATABASE, SETUP_SQL, '')),
      ...(compare ? await variantsOn(`${DATABASE}_b`, COMPARE_SQL ?? SETUP_SQL, '@b') : []),
    ];
    for (const variant of variants) {
      variant.client = new pg.Client({ connectionString: variant.url });
      clients.push(variant.client);
      await variant.client.connect();
      if (variant.setup) await variant.client.query(variant.setup);
      variant.pid = (await variant.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    }
    for (let i = 0; i < 30; i++) for (const variant of variants) await run(variant);
    for (const variant of variants) {
      variant.times = [];
      variant.cpu = processCpuMicros(variant.pid as number);
    }
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 ? variants : [...variants].reverse();
      for (const variant of order) await run(variant);
    }
    print(`rounds=${ROUNDS} group=${GROUP} accounts=${ACCOUNTS}`);
    print('variant            entries  pg_cpu_us/statement  pg_cpu_us/entry  wall_p50_us');
    for (const variant of variants) {
      const used = (processCpuMicros(variant.pid as number) ?? Number.NaN) - (variant.cpu ?? Number.NaN);
      const perStatement = used / ROUNDS;
      const sorted = [...variant.times].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
      print(`${variant.name.padEnd(18)} ${String(variant.entries).padStart(7)}  ${perStatement.toFixed(0).padStart(19)}  ${(perStatement / variant.entries).toFixed(0).padStart(15)}  ${p50.toFixed(0).padStart(11)}`);
    }
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    for (const database of databases) await adminQuery(SERVER_URL, `DROP DATABASE IF EXISTS ${database}`);
  }
}

await main();
