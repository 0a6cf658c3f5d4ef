import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createAmqpBus, createSecretBox, type Bus } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL } from '../../core/src/events/testing.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startShopifyEmulator, type ShopifyEmulator } from '../../connectors/shopify/test/emulator.js';
import { makeOrder } from '../../connectors/shopify/test/store.js';

/**
 * A Shopify store of 1,000 products and 1,000 orders synced into the books through the hub (its worker,
 * its books, real PostgreSQL and RabbitMQ), checked against the store's own figures, then synced again.
 */
const TOKEN = 'shpat_e2e_0123456789abcdef';
const SECRET = 'shpss_e2e_webhook_secret_0123';
const silent = pino({ level: 'silent' });
let hub: TestHub;
let bus: Bus;
let platform: ConnectorPlatform;
let shop: ShopifyEmulator;
let org: { id: string; apiKey: string };
const base = (tail = ''): string => `/v1/organizations/${org.id}/integrations/shopify${tail}`;
const cents = (s: unknown): number => Math.round(Number(s) * 100);

async function runJob(dataType: string, full = false): Promise<{ status: string; counts: Record<string, number>; log: Array<{ message: string }> }> {
  const queued = await hub.request('POST', base('/sync'), { token: org.apiKey, body: { dataTypes: [dataType], full } });
  expect(queued.status).toBe(202);
  while ((await platform.sync.runQueued()) > 0);
  return (await hub.request('GET', base(`/sync-jobs/${queued.body.data[0].id}`), { token: org.apiKey })).body;
}

const count = async (table: string, where: (q: ReturnType<TestHub['db']['knex']>) => unknown = () => undefined): Promise<number> => {
  const q = hub.db.knex(table).where({ organization_id: org.id });
  where(q);
  return Number((await q.count<Array<{ count: string }>>({ count: '*' }))[0]?.count ?? 0);
};
async function snapshot(): Promise<{ products: number; customers: number; invoices: number; payments: number; creditNotes: number; adjustments: number; entries: number; events: number }> {
  return {
    products: await count('products'), customers: await count('customers'), invoices: await count('invoices'), payments: await count('payments'),
    creditNotes: await count('credit_notes'), adjustments: await count('inventory_adjustments'), entries: await count('journal_entries'), events: await count('events'),
  };
}

beforeAll(async () => {
  shop = await startShopifyEmulator({ token: TOKEN, products: 1000, orders: 1000 });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 256 }, loadTimeoutMs: 30_000, timeouts: { sync: 900_000 } }, { logger: silent, secrets: createSecretBox(randomBytes(32)) });
  bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  hub = await createTestHub({ bus, extraRoutes: (services, knex) => platform.routes(services, knex) });
  org = await hub.createOrganization(`Shopify e2e ${randomBytes(3).toString('hex')}`);
  const put = await hub.request('PUT', base(), { token: org.apiKey, body: { credentials: { shopDomain: shop.shop, accessToken: TOKEN, webhookSecret: SECRET }, config: { insecureHttp: true } } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await shop?.close();
  await hub?.close();
  await bus?.close();
});

describe('Shopify store into the books', () => {
  it('brings every product of every page, each variant, generated SKUs and stock levels', async () => {
    shop.throttleEvery(7); // Shopify's 429 with Retry-After now and then: retried, nothing lost
    const job = await runJob('product');
    shop.throttleEvery(0);
    expect(job.status, JSON.stringify(job.log.slice(-3))).toBe('SUCCESS');
    const variants = shop.products.flatMap((p) => p['variants'] as Array<{ id: number; sku: string; price: string; inventory_management: string | null; inventory_item_id: number }>);
    expect(variants).toHaveLength(1200);
    expect(job.counts).toMatchObject({ created: 1200, failed: 0 });
    expect(shop.received.some((r) => r.path.includes('page_info='))).toBe(true);
    const products = await hub.db.knex('products').where({ organization_id: org.id }).select('id', 'sku', 'unitPrice', 'trackInventory', 'active');
    expect(products).toHaveLength(1200);
    const bySku = new Map(products.map((p) => [p.sku as string, p]));
    for (const v of variants) {
      const sku = v.sku || `SHOPIFY-${v.id}`;
      const ours = bySku.get(sku);
      expect(ours, sku).toBeDefined();
      expect(Number(ours.unitPrice)).toBe(cents(v.price));
      expect(ours.trackInventory).toBe(v.inventory_management === 'shopify');
    }
    expect(products.filter((p) => String(p.sku).startsWith('SHOPIFY-')).length).toBe(variants.filter((v) => !v.sku).length);
    expect(products.filter((p) => !p.active).length).toBeGreaterThan(0);
    // Stock: Σ available over both locations, for each tracked variant.
    const tracked = variants.filter((v) => v.inventory_management === 'shopify');
    for (const v of tracked.slice(0, 40)) {
      const id = bySku.get(v.sku || `SHOPIFY-${v.id}`).id as string;
      const level = await hub.core.services.inventory.inventory.stockLevel(org.id, id);
      const expected = shop.levels.filter((l) => l['inventory_item_id'] === v.inventory_item_id).reduce((t, l) => t + Number(l['available']), 0);
      expect(Number(level.quantityOnHand)).toBe(expected);
    }
    expect(await count('inventory_adjustments')).toBe(tracked.filter((v) => shop.levels.some((l) => l['inventory_item_id'] === v.inventory_item_id && Number(l['available']) > 0)).length);
  }, 600_000);

  it('imports every paid order as customer, invoice SHOP-<number>, posted payment, and refunds', async () => {
    const job = await runJob('order');
    expect(job.status, JSON.stringify(job.log.slice(-3))).toBe('SUCCESS');
    const paid = shop.orders.filter((o) => o['financial_status'] !== 'pending');
    expect(paid.length).toBe(960);
    expect(job.counts).toMatchObject({ created: 960, failed: 0, skipped: 40 });
    const invoices = await hub.db.knex('invoices').where({ organization_id: org.id }).select('number', 'total', 'taxTotal', 'discountTotal', 'amountCredited', 'status');
    expect(invoices).toHaveLength(960);
    const byNumber = new Map(invoices.map((i) => [i.number as string, i]));
    let refundedTotal = 0;
    for (const order of paid) {
      const invoice = byNumber.get(`SHOP-${String(order['order_number'])}`);
      expect(invoice, String(order['name'])).toBeDefined();
      // The invoice adds up to what the customer paid at Shopify: lines, discounts, taxes and shipping.
      expect(Number(invoice.total)).toBe(cents(order['total_price']));
      expect(Number(invoice.taxTotal)).toBe(cents(order['total_tax']));
      expect(Number(invoice.discountTotal)).toBe(cents(order['total_discounts']));
      const refunded = ((order['refunds'] as Array<{ transactions: Array<{ amount: string }> }>) ?? []).flatMap((r) => r.transactions).reduce((t, x) => t + cents(x.amount), 0);
      refundedTotal += refunded;
      expect(Number(invoice.amountCredited)).toBe(refunded);
      expect(invoice.status).toBe('PAID');
    }
    expect(refundedTotal).toBeGreaterThan(0);
    // One customer per buyer (found again by email), and only buyers of paid orders.
    expect(await count('customers')).toBe(new Set(paid.map((o) => o['email'])).size);
    expect(await count('payments')).toBe(960);
    const methods = await hub.db.knex('payments').where({ organization_id: org.id }).select('method').count<Array<{ method: string; n: string }>>({ n: '*' }).groupBy('method');
    expect(Object.fromEntries(methods.map((m) => [m.method, Number(m.n)]))).toEqual({ CARD: paid.filter((o) => o['gateway'] === 'shopify_payments').length, PAYPAL: paid.filter((o) => o['gateway'] === 'paypal').length });
    // The postings: receivables settled, the takings (less refunds) waiting in payment clearing.
    const balances = await hub.core.services.ledger.accountBalances(org.id, {});
    const balanceOf = async (key: 'receivables' | 'payment_clearing' | 'customer_credits') => {
      const account = await hub.core.services.ledger.accountByKey(org.id, key);
      const b = balances.find((x) => x.account.id === account.id);
      return b ? Number(b.debit) - Number(b.credit) : 0;
    };
    const takings = paid.reduce((t, o) => t + cents(o['total_price']), 0);
    expect(await balanceOf('receivables')).toBe(0);
    expect(await balanceOf('customer_credits')).toBe(0);
    expect(await balanceOf('payment_clearing')).toBe(takings - refundedTotal);
    const trial = await hub.request('GET', `/v1/organizations/${org.id}/reports/trial-balance`, { token: org.apiKey });
    expect(trial.body.balanced).toBe(true);
  }, 900_000);

  it('changes nothing when both syncs run again, incrementally and in full', async () => {
    const before = await snapshot();
    for (const full of [false, true]) {
      const products = await runJob('product', full);
      expect(products.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
      const orders = await runJob('order', full);
      expect(orders.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    }
    const after = await snapshot();
    // Only the sync-completed events are new.
    expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });
    expect(after.events - before.events).toBe(4);
  }, 900_000);

  it('refuses a forged webhook with 400 and changes nothing; takes a signed one once', async () => {
    const order = makeOrder(5000, shop.products);
    const forged = shop.webhook('orders/paid', order, 'not-the-shop-secret-0000');
    const before = await snapshot();
    const refused = await hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: forged.body, headers: forged.headers });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const tampered = shop.webhook('orders/paid', order, SECRET);
    const changedBody = tampered.body.replace(String(order['total_price']), '0.01');
    expect((await hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: changedBody, headers: tampered.headers })).status).toBe(400);
    expect(await snapshot()).toEqual(before);

    const signed = shop.webhook('orders/paid', order, SECRET);
    const first = await hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: signed.body, headers: signed.headers });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const invoice = await hub.db.knex('invoices').where({ organization_id: org.id, number: 'SHOP-6000' }).first();
    expect(Number(invoice.total)).toBe(cents(order['total_price']));
    // The same order again, under another delivery id (Shopify retries, or the next sync): nothing new.
    const again = shop.webhook('orders/paid', order, SECRET);
    expect((await hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: again.body, headers: { ...again.headers, 'x-shopify-webhook-id': 'another-delivery' } })).status).toBe(200);
    expect(await count('invoices', (q) => (q as { where: (c: string, v: string) => void }).where('number', 'SHOP-6000'))).toBe(1);
    expect(await count('payments')).toBe(before.payments + 1);
  }, 120_000);
});
