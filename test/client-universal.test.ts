import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import type { Event } from '@uah/schemas';
import { UniversalAccountingAPI, matchesPattern } from '../client/src/index.js';
import { loadConfig } from '../hub/src/config.js';
import { startHub, type Hub } from '../hub/src/hub.js';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN = 'universal-admin';

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('matchesPattern', () => {
  it('matches exact types, a group wildcard and everything', () => {
    expect(matchesPattern('invoice.paid', 'invoice.paid')).toBe(true);
    expect(matchesPattern('invoice.paid', 'invoice.partially_paid')).toBe(false);
    expect(matchesPattern('invoice.*', 'invoice.partially_paid')).toBe(true);
    expect(matchesPattern('invoice.*', 'payment.succeeded')).toBe(false);
    expect(matchesPattern('*', 'system.sync_completed')).toBe(true);
  });
});

/**
 * The client in the form of the hub's original specification (organization per call, `subscribe` with
 * handlers by type) against a hub process on PostgreSQL, WebSocket through the `ws` package it loads itself.
 */
describe('UniversalAccountingAPI against the hub', () => {
  const database = `uah_universal_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-universal-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  let dbUrl: string;
  let hub: Hub;
  let api: UniversalAccountingAPI;
  let orgId: string;

  const start = (port = '0') =>
    startHub(loadConfig({ PORT: port, HOST: '127.0.0.1', DATABASE_URL: dbUrl, HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent', DATA_DIR: dataDir }), pino({ level: 'silent' }));

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    dbUrl = url.href;
    hub = await start();
    const org = await new UniversalAccountingAPI({ baseUrl: hub.url, apiKey: ADMIN }).organizations.create({ name: 'Universal Ltd', baseCurrency: 'USD' });
    orgId = org.id;
    // The base URL as the specification writes it, with /v1.
    api = new UniversalAccountingAPI({ baseUrl: `${hub.url}/v1/`, apiKey: org.apiKey, timeout: 10_000 });
  });
  afterAll(async () => {
    await hub?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes the organization per call, with a base URL ending in /v1', async () => {
    const customer = await api.customers.create(orgId, { firstName: 'John', lastName: 'Doe', email: 'john@example.com', tier: 'SMALL_BUSINESS' });
    expect(customer).toMatchObject({ object: 'customer', displayName: 'John Doe' });
    expect(await api.customers.get(orgId, customer.id)).toEqual(customer);
    const page = await api.customers.list(orgId, { limit: 1 });
    expect(page.data).toHaveLength(1);
  });

  it('iterates every page of a list', async () => {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => api.customers.create(orgId, { businessName: `Iterated ${batch * 25 + i}`, metadata: { batch: 'iterate' } })));
    }
    const seen: string[] = [];
    for await (const customer of api.customers.iterate(orgId, { limit: 100 })) if (customer.metadata['batch'] === 'iterate') seen.push(customer.id);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  }, 120_000);

  it('subscribe: handlers by type and wildcard, once and off; an invoice paid reaches its handler', async () => {
    const subscription = api.subscribe(orgId, ['invoice.*', 'payment.succeeded']);
    const paid: Event[] = [];
    const invoiceEvents: string[] = [];
    const once: string[] = [];
    const dropped: string[] = [];
    const drop = (event: Event) => void dropped.push(event.type);
    subscription.on('invoice.paid', (event) => void paid.push(event)).on('invoice.*', (event) => void invoiceEvents.push(event.type));
    subscription.once('invoice.*', (event) => void once.push(event.type)).on('invoice.issued', drop).off('invoice.issued', drop);
    await subscription.ready;

    const customer = await api.customers.create(orgId, { businessName: 'Payer Ltd' });
    const draft = await api.invoices.create(orgId, { customerId: customer.id, lines: [{ description: 'Work', quantity: '1', unitPrice: 50_000 }] });
    const invoice = await api.invoices.issue(orgId, draft.id, {});
    await api.payments.recordPayment(orgId, { customerId: customer.id, amount: invoice.total, method: 'BANK_TRANSFER', applications: [{ invoiceId: invoice.id, amount: invoice.total }] });
    await until(() => paid.length === 1, 'invoice.paid');
    expect(paid[0]?.aggregateId).toBe(invoice.id);
    expect(invoiceEvents).toEqual(expect.arrayContaining(['invoice.created', 'invoice.issued', 'invoice.paid']));
    expect(invoiceEvents).not.toContain('customer.created');
    expect(once).toEqual(['invoice.created']);
    expect(dropped).toEqual([]);
    const pdf = await api.invoices.generatePDF(orgId, invoice.id);
    expect(Buffer.from(pdf.subarray(0, 4)).toString()).toBe('%PDF');
    subscription.close();
  });

  it('a POST whose answer was lost is retried with its key and creates one customer', async () => {
    let dropped = 0;
    const dropFirstAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' && dropped === 0) {
        dropped += 1;
        await response.arrayBuffer();
        throw new TypeError('fetch failed: socket hang up');
      }
      return response;
    };
    const lossy = new UniversalAccountingAPI({ baseUrl: hub.url, apiKey: await apiKey(), fetch: dropFirstAnswer, maxRetries: 2 });
    const customer = await lossy.customers.create(orgId, { businessName: 'Lost Answer Ltd' });
    expect(dropped).toBe(1);
    const rows = await countCustomers('Lost Answer Ltd');
    expect(rows).toBe(1);
    expect(customer.businessName).toBe('Lost Answer Ltd');
  });

  it('a hub restarted during a subscription: no event is lost or repeated', async () => {
    const subscription = api.subscribe(orgId, ['customer.created']);
    const names: string[] = [];
    subscription.on('customer.created', (event) => void names.push((event.data.object as { businessName: string }).businessName));
    await subscription.ready;
    for (let i = 0; i < 3; i++) await api.customers.create(orgId, { businessName: `Before ${i}` });
    const port = new URL(hub.url).port;
    await hub.stop();
    hub = await start(port);
    for (let i = 0; i < 3; i++) await api.customers.create(orgId, { businessName: `After ${i}` });
    await until(() => names.length >= 6, 'six customer.created events', 40_000);
    expect(names).toEqual(['Before 0', 'Before 1', 'Before 2', 'After 0', 'After 1', 'After 2']);
    subscription.close();
  }, 60_000);

  async function apiKey(): Promise<string> {
    const created = await api.apiKeys.create(orgId, { name: 'lossy', scopes: ['read', 'write'] });
    return created.apiKey;
  }

  async function countCustomers(name: string): Promise<number> {
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM customers WHERE organization_id = $1 AND business_name = $2', [orgId, name])).rows[0]?.n);
    } finally {
      await client.end();
    }
  }
});
