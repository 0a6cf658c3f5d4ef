import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { startBankEmulator, type BankEmulator } from '../../connectors/open-banking/test/emulator.js';
import { connectorFolder, connectorSource, testManifest } from '../connectors/fixtures.js';
import { testHubQueues } from '../hub-queues.js';

/**
 * The open banking connector in the whole hub, on PostgreSQL and RabbitMQ: enabled through the
 * marketplace API, its scheduled-or-requested syncs bring a CDR-style bank's posted transactions in,
 * reconcile them with open invoices and pending payments, and never add a line twice.
 */
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOKEN = 'cdr-consent-token-e2e-0123456789';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely; their shapes are checked by value
type Body = Record<string, any>;

const suffix = randomBytes(4).toString('hex');
const database = `uah_e2e_ob_${suffix}`;
const admin = new pg.Client({ connectionString: PG_URL });
const dataDir = mkdtempSync(join(tmpdir(), 'uah-ob-'));
/** A payment connector of the test's own, recording a processor payout through the SDK as a real one would. */
const payments = connectorFolder();
payments.add('acme-pay', {
  manifest: testManifest('acme-pay', { category: 'payments', permissions: ['payouts:write'], actions: [{ name: 'record_payout', description: 'Records a payout.', inputSchema: { type: 'object' } }] }),
  source: connectorSource({ extra: 'actions: { record_payout: async (ctx, input) => ctx.entities.payouts.record(input) },' }).replace(/\n {2}actions: \{ echo[^\n]*\n/, '\n'),
});
let hub: Hub;
let bank: BankEmulator;
let org: { id: string; apiKey: string };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(hub.url + (path.startsWith('/v1/') ? path : `/v1/organizations/${org.id}${path}`), {
    method,
    headers: { authorization: `Bearer ${org.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

async function ok(method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200): Promise<Body> {
  const res = await call(method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
}

/** Asks for a sync and waits for the hub's scheduler to run it to its end. */
async function sync(): Promise<Body> {
  const queued = (await ok('POST', '/integrations/open-banking/sync', {}, 202)).data[0];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await ok('GET', `/integrations/open-banking/sync-jobs/${queued.id as string}`);
    if (['SUCCESS', 'FAILED', 'PARTIAL'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`sync job still ${job.status as string}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const bankLines = async (): Promise<Body[]> => (await ok('GET', '/bank-transactions?limit=100')).data;

beforeAll(async () => {
  bank = await startBankEmulator(TOKEN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  hub = await startHub(loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...testHubQueues(),
    HUB_ADMIN_TOKEN: 'e2e-admin', LOG_LEVEL: 'silent', DATA_DIR: dataDir, SYNC_TICK_SECONDS: '1', WEBHOOK_ALLOW_PRIVATE: 'true', CONNECTORS_PATH: payments.root,
  }), pino({ level: 'silent' }));
  const created = await fetch(`${hub.url}/v1/organizations`, { method: 'POST', headers: { authorization: 'Bearer e2e-admin', 'content-type': 'application/json' }, body: JSON.stringify({ name: `Open Banking ${suffix}`, baseCurrency: 'AUD' }) });
  const body = (await created.json()) as Body;
  org = { id: body.id, apiKey: body.apiKey };
  // The catalog loads in the background at start.
  const deadline = Date.now() + 30_000;
  const loaded = async (): Promise<boolean> => ['open-banking', 'acme-pay'].every((id) => catalog.some((c: Body) => c.id === id && c.available));
  let catalog: Body[] = [];
  while (!(await loaded()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    catalog = (await call('GET', '/v1/connectors')).body.data ?? [];
  }
}, 90_000);

afterAll(async () => {
  await hub?.stop();
  await bank?.close();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
  payments.remove();
});

describe('open banking through the whole hub', () => {
  it('brings posted transactions in and reconciles them with open invoices and payments; overlapping syncs and pending → posted add nothing twice', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const customer = await ok('POST', '/customers', { businessName: 'Acme Pty Ltd', email: 'ap@acme.test', currency: 'AUD' });
    const draft = await ok('POST', '/invoices', { customerId: customer.id, currency: 'AUD', issueDate: today, dueDate: today, lines: [{ description: 'Consulting', quantity: '1', unitPrice: 125000 }] });
    const invoice = await ok('POST', `/invoices/${draft.id as string}/issue`, {}, 200);
    const pending = await ok('POST', '/payments', { customerId: customer.id, amount: 9900, currency: 'AUD', method: 'BANK_TRANSFER', status: 'PENDING', reference: 'REM-9901', date: today });

    bank.addAccount('acc-ops', { current: '13490.00' });
    bank.addTransaction('acc-ops', { amount: '1250.00', description: `Acme Pty Ltd ${invoice.number as string}`, reference: invoice.number });
    const remittance = bank.addTransaction('acc-ops', { amount: '99.00', description: 'REMITTANCE REM-9901', status: 'PENDING' });
    bank.addTransaction('acc-ops', { amount: '-18.40', description: 'Account fee', type: 'FEE' });

    const put = await call('PUT', '/integrations/open-banking', { credentials: { accessToken: TOKEN, consentExpiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }, config: { baseUrl: bank.url, pageSize: 2 } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.credentialsHint.accessToken).not.toContain(TOKEN);

    const first = await sync();
    expect(first).toMatchObject({ status: 'SUCCESS', counts: { created: 2, skipped: 1, failed: 0 } });
    let lines = await bankLines();
    expect(lines).toHaveLength(2);
    const deposit = lines.find((l) => l.amount === 125000)!;
    expect(deposit).toMatchObject({ currency: 'AUD', direction: 'CREDIT', status: 'MATCHED', match: { method: 'AUTO' } });
    const recorded = await ok('GET', `/payments/${deposit.match.paymentId as string}`);
    expect(recorded).toMatchObject({ status: 'COMPLETED', amount: 125000, applications: [{ invoiceId: invoice.id, amount: 125000 }] });
    expect((await ok('GET', `/invoices/${invoice.id as string}`)).status).toBe('PAID');
    expect(lines.find((l) => l.amount === -1840)).toMatchObject({ status: 'UNMATCHED' });
    const bankAccount = (await ok('GET', '/bank-accounts')).data[0];
    expect(bankAccount).toMatchObject({ currency: 'AUD', metadata: { openBankingAccountId: 'acc-ops' } });

    // The same window again: nothing new.
    expect(await sync()).toMatchObject({ status: 'SUCCESS', counts: { created: 0, skipped: 3 } });
    expect(await bankLines()).toHaveLength(2);

    // The remittance is posted (under another id, as the standard allows): it comes in once and completes the pending payment.
    Object.assign(remittance, { status: 'POSTED', transactionId: 'txn-remittance-posted', postingDateTime: new Date().toISOString() });
    expect(await sync()).toMatchObject({ status: 'SUCCESS', counts: { created: 1, skipped: 2 } });
    expect(await sync()).toMatchObject({ status: 'SUCCESS', counts: { created: 0, skipped: 3 } });
    lines = await bankLines();
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.amount === 9900)).toMatchObject({ status: 'MATCHED', match: { paymentId: pending.id } });
    expect((await ok('GET', `/payments/${pending.id as string}`)).status).toBe('COMPLETED');
    const imports = (await ok('GET', `/events?types=bank_statement.imported&limit=100`)).data;
    expect(imports.map((e: Body) => [e.data.object.format, e.data.object.imported])).toEqual([['FEED', 2], ['FEED', 0], ['FEED', 1], ['FEED', 0]]);

    // The balances action, through the marketplace API.
    const balances = await ok('POST', '/integrations/open-banking/actions/get_account_balances', {}, 200);
    expect(JSON.stringify(balances)).toContain(JSON.stringify({ accountId: 'acc-ops', bankAccountId: bankAccount.id, currency: 'AUD', current: 1349000, available: 1349000, creditLimit: 0 }));
  }, 180_000);

  it('matches a deposit to a payout a payment connector recorded: the payout is PAID, payment clearing closed, and line, payout and payments linked', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const clearing = async (): Promise<number> => (await ok('GET', '/accounts?limit=100')).data.find((a: Body) => a.code === '1050').balance;
    const before = await clearing();
    const customer = await ok('POST', '/customers', { businessName: 'Card Buyer Pty Ltd', currency: 'AUD' });
    const charges: Body[] = [];
    for (const [price, fees] of [[10000, 320], [5000, 175]] as const) {
      const draft = await ok('POST', '/invoices', { customerId: customer.id, currency: 'AUD', lines: [{ description: 'Order', quantity: '1', unitPrice: price }] });
      const invoice = await ok('POST', `/invoices/${draft.id as string}/issue`, {}, 200);
      charges.push(await ok('POST', '/payments', { customerId: customer.id, amount: price, currency: 'AUD', method: 'CARD', fees, depositAccount: 'payment_clearing', reference: `ch_${price}`, applications: [{ invoiceId: invoice.id, amount: price }] }));
    }
    expect(await clearing()).toBe(before + 14505);
    expect((await call('PUT', '/integrations/acme-pay', { credentials: { apiKey: 'acme-pay-key-1' } })).status).toBe(200);
    const recorded = await ok('POST', '/integrations/acme-pay/actions/record_payout', {
      providerReference: 'po_1E2Epayout', status: 'IN_TRANSIT', amount: 14505, currency: 'AUD', arrivalDate: today,
      items: charges.map((c) => ({ kind: 'PAYMENT', paymentId: c.id, amount: (c.amount as number) - (c.fees as number), providerReference: `txn_${c.reference as string}` })),
    }, 200);
    const payout = recorded.result;
    expect(payout).toMatchObject({ connectorId: 'acme-pay', status: 'IN_TRANSIT', paymentIds: charges.map((c) => c.id) });

    bank.addTransaction('acc-ops', { amount: '145.05', description: 'ACME PAY PAYOUT', reference: 'po_1E2Epayout' });
    expect(await sync()).toMatchObject({ status: 'SUCCESS', counts: { created: 1 } });
    const [line] = (await ok('GET', `/bank-transactions?payoutId=${payout.id as string}`)).data;
    expect(line).toMatchObject({ amount: 14505, status: 'MATCHED', match: { payoutId: payout.id, paymentId: null, paymentIds: charges.map((c) => c.id), method: 'AUTO' } });
    const paid = await ok('GET', `/payouts/${payout.id as string}`);
    expect(paid).toMatchObject({ status: 'PAID', paidAt: `${today}T00:00:00.000Z` });
    expect(await clearing()).toBe(before);
    for (const c of charges) expect((await ok('GET', `/bank-transactions?paymentId=${c.id as string}`)).data.map((t: Body) => t.id)).toEqual([line.id]);
    expect((await ok('GET', `/events?aggregateId=${payout.id as string}`)).data.map((e: Body) => e.type)).toEqual(['payout.created', 'payout.paid', 'payout.reconciled']);
  }, 120_000);

  it('shows the consent in the integration status, and an expired one as EXPIRED with the sync failed', async () => {
    const status = await ok('GET', '/integrations/open-banking/status');
    expect(status).toMatchObject({ lastSyncStatus: 'SUCCESS', consent: { status: 'ACTIVE', detail: null } });
    expect(Date.parse(status.consent.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    bank.expireConsent();
    const failed = await sync();
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/consent was refused by the provider/);
    expect(await ok('GET', '/integrations/open-banking/status')).toMatchObject({ lastSyncStatus: 'FAILED', consent: { status: 'EXPIRED', detail: "The customer's consent has expired." } });
    expect(await bankLines()).toHaveLength(4);
  }, 120_000);
});
