import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startShopifyEmulator, type ShopifyEmulator } from '../../connectors/shopify/test/emulator.js';

/** Each Shopify webhook topic the connector takes, through the hub's webhook route, against a small store. */
const TOKEN = 'shpat_hooks_0123456789abcdef';
const SECRET = 'shpss_hooks_secret_0123456';
let hub: TestHub;
let platform: ConnectorPlatform;
let shop: ShopifyEmulator;
let org: { id: string; apiKey: string };
const base = (tail = ''): string => `/v1/organizations/${org.id}/integrations/shopify${tail}`;
const deliver = async (topic: string, payload: unknown, id = `${topic}-${Math.random()}`) => {
  const { body, headers } = shop.webhook(topic, payload, SECRET);
  return hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: body, headers: { ...headers, 'x-shopify-webhook-id': id } });
};
async function sync(dataType: string): Promise<void> {
  expect((await hub.request('POST', base('/sync'), { token: org.apiKey, body: { dataTypes: [dataType] } })).status).toBe(202);
  while ((await platform.sync.runQueued()) > 0);
}
const productBySku = async (sku: string) => (await hub.core.services.products.list(org.id, { sku, limit: 1 })).data[0]!;

beforeAll(async () => {
  shop = await startShopifyEmulator({ token: TOKEN, products: 12, orders: 12 });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 256 }, loadTimeoutMs: 30_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
  hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
  org = await hub.createOrganization(`Shopify hooks ${randomBytes(3).toString('hex')}`);
  expect((await hub.request('PUT', base(), { token: org.apiKey, body: { credentials: { shopDomain: shop.shop, accessToken: TOKEN, webhookSecret: SECRET }, config: { insecureHttp: true } } })).status).toBe(200);
  await sync('product');
  await sync('order');
}, 180_000);
afterAll(async () => {
  await platform?.stop();
  await shop?.close();
  await hub?.close();
});

describe('Shopify webhooks', () => {
  it('products/update changes the product of each variant', async () => {
    const product = shop.products[1]! as { title: string; variants: Array<{ sku: string; price: string }> };
    product.title = 'Renamed at Shopify';
    product.variants[0]!.price = '77.70';
    const res = await deliver('products/update', product);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await productBySku(product.variants[0]!.sku)).toMatchObject({ name: 'Renamed at Shopify', unitPrice: 7770 });
  }, 60_000);

  it('inventory_levels/update sets the stock to the total over locations', async () => {
    const product = shop.products[1]! as { variants: Array<{ sku: string; inventory_item_id: number }> };
    const item = product.variants[0]!.inventory_item_id;
    const levels = shop.levels.filter((l) => l['inventory_item_id'] === item);
    levels[0]!['available'] = 40;
    levels[1]!['available'] = 2;
    const res = await deliver('inventory_levels/update', levels[0]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ours = await productBySku(product.variants[0]!.sku);
    expect((await hub.core.services.inventory.inventory.stockLevel(org.id, ours.id)).quantityOnHand).toBe('42');
  }, 60_000);

  it('refunds/create refunds the payment and credits the invoice once, however often it comes', async () => {
    const order = shop.orders.find((o) => o['financial_status'] === 'paid' && !(o['refunds'] as unknown[]).length)!;
    const refund = { id: 990001, order_id: order['id'], note: 'Damaged in transit', created_at: new Date().toISOString(), restock: false, refund_line_items: [], order_adjustments: [], transactions: [{ id: 990002, order_id: order['id'], kind: 'refund', status: 'success', amount: '5.00', gateway: 'shopify_payments', created_at: new Date().toISOString() }] };
    order['refunds'] = [refund];
    order['financial_status'] = 'partially_refunded';
    for (const id of ['delivery-1', 'delivery-2', 'delivery-1']) expect((await deliver('refunds/create', refund, id)).status).toBe(200);
    const invoice = (await hub.core.services.invoices.list(org.id, { number: `SHOP-${String(order['order_number'])}`, limit: 1 })).data[0]!;
    expect(invoice).toMatchObject({ amountCredited: 500, balance: 0, status: 'PAID' });
    const payment = (await hub.core.services.payments.list(org.id, { invoiceId: invoice.id, limit: 1 })).data[0]!;
    expect(payment.amountRefunded).toBe(500);
    // And the next order sync agrees: nothing more to do.
    await sync('order');
    expect((await hub.core.services.payments.get(org.id, payment.id)).amountRefunded).toBe(500);
  }, 120_000);

  it('answers a topic it does not take, and refuses an unsigned one', async () => {
    expect((await deliver('customers/create', { id: 1 })).body).toMatchObject({ ignored: 'customers/create' });
    const { body, headers } = shop.webhook('orders/paid', shop.orders[0], SECRET);
    const { 'x-shopify-hmac-sha256': _signature, ...unsigned } = headers;
    expect((await hub.request('POST', `/v1/hooks/shopify/${org.id}`, { token: null, raw: body, headers: unsigned })).status).toBe(400);
  }, 60_000);
});
