import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { testHubQueues } from '../hub-queues.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const ADMIN = 'packages-admin';

/** A TypeScript user of the packages, checked by strict tsc in the folder they were installed into. */
const TYPED_USE = `
import { UniversalAccountingAPI, UahApiError, type EventStream } from '@uah/client';
import { defineConnector, satisfies } from '@uah/connector-sdk';
import type { Invoice, InvoiceDryRun, PaymentIntent, WebhookEndpointCreated } from '@uah/schemas';

export async function use(orgId: string): Promise<Invoice> {
  const api = new UniversalAccountingAPI({ baseUrl: 'http://localhost:3000/v1', apiKey: 'uah_sk_x' });
  const customer = await api.customers.create(orgId, { businessName: 'Typed Ltd' });
  const lines = [{ description: 'x', quantity: '1', unitPrice: 100 }];
  const preview: InvoiceDryRun = await api.invoices.create(orgId, { customerId: customer.id, lines }, { dryRun: true });
  const draft = await api.invoices.create(orgId, { customerId: customer.id, lines });
  // @ts-expect-error customers.create takes no dry run
  await api.customers.create(orgId, { businessName: 'x' }, { dryRun: true });
  const everyone = await api.customers.list(orgId);
  const hook: WebhookEndpointCreated = await api.webhooks.create(orgId, { url: 'https://example.com/hook', events: ['invoice.paid'] });
  await api.webhooks.test(orgId, hook.id);
  const intent: PaymentIntent = await api.payments.createStripeIntent(orgId, { invoiceId: draft.id });
  const stream: EventStream = api.subscribe(orgId, ['invoice.*']);
  stream.on('invoice.paid', (event) => console.log(event.id, preview.object, everyone.data.length, intent.clientSecret));
  if (!satisfies('1.0.0', '^1.0.0')) throw new UahApiError(500, {}, new Headers());
  void defineConnector;
  return draft;
}
`;

/**
 * The packages as others install them: built, packed, installed from the tarballs into a folder with no
 * access to this repository's node_modules, then run in plain Node 20 (the specification's usage example,
 * against a hub on PostgreSQL and RabbitMQ) and type-checked by strict tsc.
 */
describe('the published packages', () => {
  const database = `uah_pkg_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'uah-packages-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  let hub: Hub;

  beforeAll(async () => {
    await run('npm', ['run', 'build'], { cwd: root });
    const packed = join(work, 'tarballs');
    mkdirSync(packed);
    await run('npm', ['pack', '--pack-destination', packed, './schemas/dist', './connector-sdk/dist', './client/dist'], { cwd: root });
    const app = join(work, 'app');
    const tarballs = readdirSync(packed).map((f) => join(packed, f));
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uah-packages-user', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, '@types/node@20.19.43'], { cwd: app });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    hub = await startHub(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...testHubQueues(), HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn', DATA_DIR: join(work, 'data') }), pino({ level: 'warn' }));
  }, 180_000);

  afterAll(async () => {
    await hub?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }, 180_000); // stopping a whole hub (its connectors' workers, queues and attempts in flight) is slow on a busy machine

  it('ship ESM JavaScript with declarations, a licence, and no sources or tests', () => {
    for (const pkg of ['schemas', 'connector-sdk', 'client']) {
      const manifest = JSON.parse(readFileSync(join(work, 'app', 'node_modules', '@uah', pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ type: 'module', license: 'Apache-2.0', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const files = readdirSync(join(work, 'app', 'node_modules', '@uah', pkg), { recursive: true }).map(String);
      expect(files).toContain('index.js');
      expect(files).toContain('index.d.ts');
      expect(files).toContain('LICENSE');
      expect(files.filter((f) => f.endsWith('.test.js') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    }
  });

  it("runs the specification's usage example in plain Node: a customer, an invoice paid, its invoice.paid event", async () => {
    const org = (await (await fetch(`${hub.url}/v1/organizations`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Package User Ltd', baseCurrency: 'USD' }),
    })).json()) as { id: string; apiKey: string };
    const app = join(work, 'app');
    copyFileSync(join(root, 'client', 'examples', 'seed-usage.mjs'), join(app, 'seed-usage.mjs'));
    const { stdout } = await run(process.execPath, ['seed-usage.mjs'], {
      cwd: app, timeout: 60_000,
      // Plain Node: no loader, no inherited options, nothing of this repository on the module path.
      env: { PATH: process.env['PATH'] ?? '', UAH_BASE_URL: `${hub.url}/v1`, UAH_API_KEY: org.apiKey, UAH_ORG_ID: org.id },
    });
    const customerId = /customer (cus_\w+)/.exec(stdout)?.[1];
    const paid = /invoice\.paid (inv_\w+) (\S+)/.exec(stdout);
    expect(customerId).toBeDefined();
    expect(paid).not.toBeNull();
    const invoice = (await (await fetch(`${hub.url}/v1/organizations/${org.id}/invoices/${paid?.[1]}`, { headers: { authorization: `Bearer ${org.apiKey}` } })).json()) as { status: string; customerId: string; number: string };
    expect(invoice).toMatchObject({ status: 'PAID', customerId, number: paid?.[2] });
  }, 90_000);

  // The connector SDK is for Node: its declarations name Node's modules, so the user has @types/node.
  it('type-checks a user of all three under strict tsc', async () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'use.ts'), TYPED_USE);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], noEmit: true, types: ['node'], exactOptionalPropertyTypes: true }, files: ['use.ts'] }));
    const result = await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', app], { cwd: app }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(result.stdout).toBe('');
  }, 60_000);

  it('the browser bundle reaches the API with fetch alone', async () => {
    const bundle = readFileSync(join(work, 'app', 'node_modules', '@uah', 'client', 'browser.js'), 'utf8');
    expect(bundle).not.toMatch(/from ["']node:|require\(["']/);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `
      const { UniversalAccountingAPI } = await import('@uah/client/browser');
      const api = new UniversalAccountingAPI({ baseUrl: process.argv[1], apiKey: 'wrong' });
      try { await api.customers.list('org_x'); } catch (e) { console.log(e.status, e.code); }
    `, `${hub.url}/v1`], { cwd: join(work, 'app'), env: { PATH: process.env['PATH'] ?? '' } });
    expect(stdout.trim()).toBe('401 UNAUTHENTICATED');
  }, 30_000);
});
