import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { UniversalAccountingAPI } from '../../client/src/index.js';

const root = join(import.meta.dirname, '..', '..');
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN = `kill-admin-${randomBytes(4).toString('hex')}`;

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Two hub processes on one PostgreSQL database. The subscriber streams from hub A; hub A is killed
 * (SIGKILL, no shutdown at all), events are written through hub B while A is down, then A starts again on
 * the same port: the subscription reconnects by itself and receives every event once, in order.
 */
describe('a subscription across a killed hub', () => {
  const database = `uah_kill_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-kill-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  const hubs = new Set<ChildProcess>();
  let databaseUrl = '';

  async function startHub(port: number): Promise<ChildProcess> {
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, AMQP_URL: '', HUB_ADMIN_TOKEN: ADMIN, DATA_DIR: dataDir, LOG_LEVEL: 'error' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/src/main.ts'], { cwd: root, env, stdio: 'ignore' });
    hubs.add(child);
    child.once('exit', () => hubs.delete(child));
    await until(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true, `the hub on port ${port}`);
    return child;
  }

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    databaseUrl = url.href;
  });
  afterAll(async () => {
    for (const child of hubs) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no event and repeats none', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    let hubA = await startHub(portA);
    await startHub(portB);
    const org = await new UniversalAccountingAPI({ baseUrl: `http://127.0.0.1:${portB}`, apiKey: ADMIN }).organizations.create({ name: 'Killed Ltd' });
    const writer = new UniversalAccountingAPI({ baseUrl: `http://127.0.0.1:${portB}/v1`, apiKey: org.apiKey });
    const reader = new UniversalAccountingAPI({ baseUrl: `http://127.0.0.1:${portA}/v1`, apiKey: org.apiKey });

    const subscription = reader.subscribe(org.id, ['customer.created']);
    const names: string[] = [];
    subscription.on('customer.created', (event) => void names.push((event.data.object as { businessName: string }).businessName));
    subscription.onError(() => undefined); // the dropped connection is reported; it reconnects by itself
    await subscription.ready;
    for (let i = 0; i < 3; i++) await writer.customers.create(org.id, { businessName: `Before ${i}` });
    await until(() => names.length === 3, 'three events before the kill');

    const killed = new Promise((resolve) => hubA.once('exit', resolve));
    hubA.kill('SIGKILL');
    await killed;
    for (let i = 0; i < 3; i++) await writer.customers.create(org.id, { businessName: `While down ${i}` });
    hubA = await startHub(portA);
    for (let i = 0; i < 3; i++) await writer.customers.create(org.id, { businessName: `After ${i}` });
    await until(() => names.length >= 9, 'nine events', 90_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a repeat would arrive now
    subscription.close();
    expect(names).toEqual(['Before 0', 'Before 1', 'Before 2', 'While down 0', 'While down 1', 'While down 2', 'After 0', 'After 1', 'After 2']);
  }, 240_000);
});
