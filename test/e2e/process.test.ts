import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the hub as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-proc-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', AMQP_URL: '', HUB_ADMIN_TOKEN: '' };

  it('`hub org create` prints an organization id and an admin API key', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'hub/src/cli.ts', 'org', 'create', 'CLI', 'Ltd', '--currency', 'EUR'], { cwd: root, env });
    expect(stdout).toMatch(/organization: org_[0-9A-Z]+/);
    expect(stdout).toMatch(/api key: +uah_sk_[0-9A-Za-z]+/);
  });

  it('refuses bad configuration with a clear message and exit code 2', async () => {
    const result = await execFileAsync(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], { cwd: root, env: { ...env, PORT: 'eighty' } }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toContain('PORT must be a whole number');
  });

  it('prints a generated admin token once, then shuts down cleanly on SIGTERM while a request is in flight', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], { cwd: root, env: { ...env, PORT: String(port), LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes('uah_admin_') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const token = /uah_admin_[0-9A-Za-z]+/.exec(out)?.[0];
    expect(token).toBeDefined();
    const org = await fetch(`http://127.0.0.1:${port}/v1/organizations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":"Signals"}' });
    expect(org.status).toBe(201);
    const inFlight = fetch(`http://127.0.0.1:${port}/v1/openapi.json`).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 20)); // let the request reach the server before the signal
    child.kill('SIGTERM');
    expect(await inFlight).toBe(200);
    expect(await exited).toBe(0);
    expect(out.match(/uah_admin_/g)?.length).toBe(2); // the token and the curl command, nothing more
    // Every line a log shipper reads is JSON, the token's record too, even where LOG_LEVEL (here error) hides warnings.
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r['adminToken'] === token)).toMatchObject({ component: 'setup', msg: expect.stringContaining('shown only this once'), createOrganization: expect.stringContaining(`Bearer ${token ?? ''}`) });
  });
});
