import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The README's blocks fenced as ```sh walkthrough, in order. */
export function walkthroughBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

/**
 * The blocks as one bash script. The README's commands are run exactly as written; only `curl` and `jq` are
 * made strict, so that an example that drifted from the API fails: curl on any HTTP error (printing the
 * problem), jq when its result is null (a field the API no longer has). The variables the walk captured are
 * printed at the end for the checks below.
 */
function script(blocks: string[], captured: string[]): string {
  return [
    'set -euo pipefail',
    'curl() { command curl --fail-with-body --show-error "$@"; }',
    'jq() { command jq -e "$@"; }',
    ...blocks,
    ...captured.map((name) => `printf '%s=%s\\n' ${name} "$${name}"`),
  ].join('\n');
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The README's walkthrough against the hub as `npm start` runs it (here on PostgreSQL, with the admin token
 * it generates and logs at first start): every block marked `sh walkthrough` runs in one bash, in order.
 */
describe('the README walkthrough', () => {
  const database = `uah_readme_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-readme-'));
  const work = mkdtempSync(join(tmpdir(), 'uah-readme-walk-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  let hub: ChildProcess | undefined;
  let hubUrl = '';
  let adminToken = '';

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const port = await freePort();
    hubUrl = `http://127.0.0.1:${port}`;
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL: '', HUB_ADMIN_TOKEN: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    hub = child;
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!adminToken && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const record = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { adminToken?: string }).find((r) => r.adminToken);
      adminToken = record?.adminToken ?? '';
    }
    expect(adminToken).toMatch(/^uah_admin_/);
  }, 90_000);

  afterAll(async () => {
    if (hub && hub.exitCode === null) {
      const exited = new Promise((resolve) => hub?.once('exit', resolve));
      hub.kill('SIGTERM');
      await exited;
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('has a block per part of the walk and of the books; the client README has the example the packages test runs', () => {
    const blocks = walkthroughBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(blocks.length).toBe(8);
    for (const path of ['/customers', '/journal-entries', '/invoices', '/payments', '/bills', '/projects', '/bank-accounts', '/reports/trial-balance']) {
      expect(blocks.some((b) => b.includes(path)), path).toBe(true);
    }
    // The client's README shows the usage example the packages test runs, as it is.
    const example = readFileSync(join(root, 'client', 'examples', 'seed-usage.mjs'), 'utf8');
    expect(readFileSync(join(root, 'client', 'README.md'), 'utf8')).toContain(example.slice(example.indexOf('import {')).trimEnd());
  });

  it('runs every command as written, and leaves the books it describes', async () => {
    const blocks = walkthroughBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    const captured = ['ORG', 'KEY', 'CUSTOMER', 'INVOICE', 'PAYMENT', 'BILL', 'PROJECT'];
    const result = await run('bash', ['-c', script(blocks, captured)], { cwd: work, env: { PATH: process.env['PATH'] ?? '', HOME: work, HUB: hubUrl, ADMIN: adminToken }, timeout: 120_000 })
      .catch((error: { stdout: string; stderr: string; code: number }) => ({ ...error, failed: true }));
    expect('failed' in result ? result.stderr : '', 'the walkthrough stopped at an error').toBe('');
    const values = Object.fromEntries(result.stdout.split('\n').filter((l) => /^[A-Z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const name of captured) expect(values[name], name).toMatch(/^[a-z]+_\w+$/);

    const get = async (path: string): Promise<Record<string, unknown>> =>
      (await (await fetch(`${hubUrl}/v1/organizations/${values['ORG']}${path}`, { headers: { authorization: `Bearer ${values['KEY']}` } })).json()) as Record<string, unknown>;
    // The invoice was paid in full, then $50.00 of it refunded: it is open again by that much.
    expect(await get(`/invoices/${values['INVOICE']}`)).toMatchObject({ status: 'PARTIALLY_PAID', total: 87_683, balance: 5_000 });
    expect(await get(`/payments/${values['PAYMENT']}`)).toMatchObject({ fees: 2_573, amountRefunded: 5_000 });
    expect(await get(`/bills/${values['BILL']}`)).toMatchObject({ status: 'PAID' });
    expect(await get('/reports/trial-balance')).toMatchObject({ balanced: true });
    expect(readFileSync(join(work, 'invoice.pdf')).subarray(0, 4).toString()).toBe('%PDF');
    expect(readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(result.stdout).toContain('"balanced": true');
  }, 150_000);

  it('a command that drifted from the API fails the walk', async () => {
    const drifted = ['curl -s "$HUB/v1/organizations/$ORG/customer" -H "Authorization: Bearer $KEY" | jq .data'];
    const result = await run('bash', ['-c', script([walkthroughBlocks(readFileSync(join(root, 'README.md'), 'utf8'))[0] ?? '', ...drifted], [])], { cwd: work, env: { PATH: process.env['PATH'] ?? '', HUB: hubUrl, ADMIN: adminToken } })
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('returned error: 404');
  }, 60_000);
});
