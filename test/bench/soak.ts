/**
 * Soak: the hub as its own process under a steady mixed load (journal entries, customers, invoices issued,
 * lists and a report) for SOAK_SECONDS (default 600), printing the hub's resident memory (RSS) at the start
 * (after a warm-up), every minute, and at the end, with the requests answered and their statuses.
 *
 *   npm run soak                          # 10 minutes at 40 requests/s
 *   SOAK_SECONDS=60 SOAK_RATE=20 npm run soak
 *
 * Environment: SOAK_DATABASE_URL (a server where it may create and drop a database of its own; default
 * postgres://postgres@127.0.0.1:5432/postgres), SOAK_AMQP_URL (unset: the hub's in-process bus), SOAK_SECONDS,
 * SOAK_RATE (requests per second), SOAK_WARMUP_SECONDS (default 20).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminQuery } from './postgres.js';

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 600);
const RATE = Number(process.env['SOAK_RATE'] ?? 40);
const WARMUP = Number(process.env['SOAK_WARMUP_SECONDS'] ?? 20);
const SERVER_URL = process.env['SOAK_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const database = `uah_soak_${randomBytes(4).toString('hex')}`;
const admin = `soak-${randomBytes(8).toString('hex')}`;
const print = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  await adminQuery(SERVER_URL, `CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-soak-'));
  const port = await freePort();
  const hub = spawn(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL: process.env['SOAK_AMQP_URL'] ?? '', HUB_ADMIN_TOKEN: admin, DATA_DIR: dataDir, LOG_LEVEL: 'warn', RATE_LIMIT: '1000000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; !(await fetch(`${base}/ready`).then((r) => r.ok, () => false)); i++) {
      if (i > 600 || hub.exitCode !== null) throw new Error('the hub did not start');
      await sleep(100);
    }
    const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const org = (await call('POST', '/v1/organizations', admin, { name: 'Soak Ltd' })).json as { id: string; apiKey: string };
    const o = `/v1/organizations/${org.id}`;
    const customer = String((await call('POST', `${o}/customers`, org.apiKey, { businessName: 'Soak Customer' })).json['id']);

    const statuses = new Map<number, number>();
    let answered = 0;
    const one = async (i: number): Promise<void> => {
      const step = i % 10;
      let status: number;
      try {
        if (step < 4) status = (await call('POST', `${o}/journal-entries`, org.apiKey, { date: '2026-05-01', currency: 'USD', memo: `soak ${i}`, lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 100 + i }, { accountCode: '3000', direction: 'CREDIT', amount: 100 + i }] })).status;
        else if (step === 4) status = (await call('POST', `${o}/customers`, org.apiKey, { businessName: `Soak ${i}` })).status;
        else if (step === 5) {
          const draft = await call('POST', `${o}/invoices`, org.apiKey, { customerId: customer, lines: [{ description: 'Soak', quantity: '1', unitPrice: 1000 }] });
          status = draft.status === 201 ? (await call('POST', `${o}/invoices/${String(draft.json['id'])}/issue`, org.apiKey, {})).status : draft.status;
        } else if (step < 8) status = (await call('GET', `${o}/journal-entries?limit=50`, org.apiKey)).status;
        else if (step === 8) status = (await call('GET', `${o}/customers?limit=50`, org.apiKey)).status;
        else status = (await call('GET', `${o}/reports/trial-balance`, org.apiKey)).status;
      } catch {
        status = 0;
      }
      answered++;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    };

    const inFlight = new Set<Promise<void>>();
    const started = Date.now();
    const total = WARMUP + SECONDS;
    let startRss = 0;
    let nextReport = started + (WARMUP + 60) * 1000;
    for (let i = 0; Date.now() - started < total * 1000; i++) {
      const p = one(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (!startRss && Date.now() - started >= WARMUP * 1000) {
        startRss = rssMb(hub.pid!);
        print(`rss_start_mb=${startRss.toFixed(1)} (after ${WARMUP} s of warm-up at ${RATE} requests/s)`);
      }
      if (Date.now() >= nextReport) {
        print(`t=${Math.round((Date.now() - started) / 1000 - WARMUP)}s rss_mb=${rssMb(hub.pid!).toFixed(1)} answered=${answered} in_flight=${inFlight.size}`);
        nextReport += 60_000;
      }
      await sleep(Math.max(0, started + ((i + 1) * 1000) / RATE - Date.now()));
    }
    await Promise.all([...inFlight]);
    const endRss = rssMb(hub.pid!);
    const seconds = (Date.now() - started) / 1000;
    print(`rss_end_mb=${endRss.toFixed(1)} rss_change_mb=${(endRss - startRss).toFixed(1)} over ${SECONDS} s`);
    print(`requests=${answered} rate=${(answered / seconds).toFixed(1)}/s statuses=${JSON.stringify(Object.fromEntries(statuses))}`);
  } finally {
    hub.kill('SIGTERM');
    await new Promise((r) => hub.once('exit', r));
    await adminQuery(SERVER_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
