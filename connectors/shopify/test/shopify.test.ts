import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorEntities, Product } from '@uah/connector-sdk';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import connector, { type Config, type Credentials } from '../src/index.js';
import { shopifyClient } from '../src/api.js';
import { methodOf } from '../src/gateways.js';
import { startShopifyEmulator, type ShopifyEmulator } from './emulator.js';
import { SAMPLE, makeStore } from './store.js';

const TOKEN = 'shpat_unit_0123456789';
const SECRET = 'shpss_unit_secret_0123';
let shop: ShopifyEmulator;
let test: TestContext<Credentials, Config>;
const job = (extra: Record<string, unknown> = {}) => ({ dataType: 'product', direction: 'pull' as const, trigger: 'manual' as const, full: false, lastSuccessAt: null, ...extra });

/** Products and stock kept in memory, enough for the product sync (the end-to-end test runs it against the real books). */
function memoryCatalog(): { entities: Partial<ConnectorEntities>; products: Product[]; stock: Map<string, number> } {
  const products: Product[] = [];
  const stock = new Map<string, number>();
  const now = new Date().toISOString();
  return {
    products,
    stock,
    entities: {
      products: {
        get: async (id) => products.find((p) => p.id === id),
        list: async (q) => ({ data: products.filter((p) => !q?.sku || p.sku.toLowerCase() === q.sku.toLowerCase()), nextCursor: null }),
        create: async (input) => {
          const product = { id: `prod_t${products.length + 1}`, active: true, description: null, ...input, createdAt: now, updatedAt: now } as unknown as Product;
          products.push(product);
          return product;
        },
        update: async (id, patch) => Object.assign(products.find((p) => p.id === id)!, patch),
      },
      inventory: {
        stockLevel: async (productId) => ({ quantityOnHand: String(stock.get(productId) ?? 0) }) as never,
        adjust: async (input) => {
          stock.set(input.productId, (stock.get(input.productId) ?? 0) + Number(input.quantityChange));
          return {} as never;
        },
      },
    },
  };
}

beforeEach(async () => {
  shop = await startShopifyEmulator({ token: TOKEN, data: makeStore(260, 30) });
  test = createTestContext(connector, { credentials: { shopDomain: shop.shop, accessToken: TOKEN, webhookSecret: SECRET }, config: { insecureHttp: true } });
});
afterEach(() => shop.close());

describe('the Shopify emulator keeps to the official resource shapes', () => {
  it('answers with every field of the sample objects, plus the newer ones the connector reads', async () => {
    const api = shopifyClient(test.ctx);
    const product = (await api.get<Record<string, unknown> & { variants: Array<Record<string, unknown>> }>('products', 'products', { limit: 1 })).items[0]!;
    expect(Object.keys(product)).toEqual(expect.arrayContaining([...Object.keys(SAMPLE.product), 'status']));
    expect(Object.keys(product.variants[0]!)).toEqual(expect.arrayContaining([...Object.keys(SAMPLE.variant), 'inventory_item_id']));
    const order = (await api.get<Record<string, unknown> & { line_items: Array<Record<string, unknown>>; refunds: Array<Record<string, unknown>> }>('orders', 'orders', { status: 'any', limit: 50 })).items.find((o) => o.refunds.length > 0)!;
    expect(Object.keys(order)).toEqual(expect.arrayContaining([...Object.keys(SAMPLE.order), 'processed_at', 'payment_gateway_names', 'refunds']));
    expect(Object.keys(order.line_items[0]!)).toEqual(expect.arrayContaining([...Object.keys(SAMPLE.order.line_items[0]!), 'discount_allocations', 'tax_lines']));
    expect(Object.keys(order.refunds[0]!)).toEqual(expect.arrayContaining(Object.keys(SAMPLE.refund)));
    const location = (await api.get<Record<string, unknown>>('locations', 'locations')).items[0]!;
    expect(Object.keys(location)).toEqual(expect.arrayContaining(Object.keys(SAMPLE.location)));
    const level = (await api.get<Record<string, unknown>>('inventory_levels', 'inventory_levels', { location_ids: String(location['id']) })).items[0]!;
    expect(Object.keys(level).sort()).toEqual(Object.keys(SAMPLE.inventoryLevel).sort());
  });

  it('answers a bad token with 401 and Shopify\'s error body, and the connector\'s check fails', async () => {
    const bad = createTestContext(connector, { credentials: { shopDomain: shop.shop, accessToken: 'shpat_wrong_000000' }, config: { insecureHttp: true } });
    const error = await connector.check!(bad.ctx).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('Invalid API key or access token');
    await expect(connector.check!(test.ctx)).resolves.toBeUndefined();
  });
});

describe('the Shopify connector', () => {
  it('keeps the contract', () => {
    expect(contractProblems(connector)).toEqual([]);
  });

  it('reads every page through the Link header, waits out 429s, and sends its token to the Admin API only', async () => {
    shop.throttleEvery(2, 0.05);
    const started = Date.now();
    const ids: unknown[] = [];
    for await (const p of shopifyClient(test.ctx).all<{ id: number }>('products', 'products', { limit: 100 })) ids.push(p.id);
    expect(ids).toEqual(shop.products.map((p) => String(p['id']))); // the library hands ids over as strings (they exceed 2^53 at Shopify)
    const lists = shop.received.filter((r) => r.path.startsWith('/admin/api/2025-01/products.json'));
    expect(lists.filter((r) => r.path.includes('page_info='))).not.toHaveLength(0);
    expect(lists.length).toBeGreaterThan(3); // three pages, and the throttled requests again
    expect(Date.now() - started).toBeGreaterThanOrEqual(50); // Retry-After (seconds) was honoured
    expect(shop.received.every((r) => r.token === TOKEN)).toBe(true);
  });

  it('gives up after repeated 503s with the error, instead of reporting a partial success', async () => {
    shop.failNext('products.json', 10);
    const catalog = memoryCatalog();
    const ctx = createTestContext(connector, { credentials: { shopDomain: shop.shop, accessToken: TOKEN }, config: { insecureHttp: true }, entities: catalog.entities });
    await expect(connector.sync!.product!(ctx.ctx, job())).rejects.toThrow();
    expect(catalog.products).toHaveLength(0);
  });

  it('makes a product of every variant, a generated SKU where Shopify has none, stock from every location, and nothing more on a second run', async () => {
    const catalog = memoryCatalog();
    const ctx = createTestContext(connector, { credentials: { shopDomain: shop.shop, accessToken: TOKEN }, config: { insecureHttp: true }, entities: catalog.entities });
    const variants = shop.products.flatMap((p) => p['variants'] as Array<{ id: number; sku: string; inventory_item_id: number; inventory_management: string | null }>);
    expect(await connector.sync!.product!(ctx.ctx, job())).toMatchObject({ created: variants.length, failed: 0 });
    expect(catalog.products.map((p) => p.sku).sort()).toEqual(variants.map((v) => v.sku || `SHOPIFY-${v.id}`).sort());
    const tracked = variants.find((v) => v.inventory_management === 'shopify')!;
    const product = catalog.products.find((p) => p.sku === (tracked.sku || `SHOPIFY-${tracked.id}`))!;
    expect(catalog.stock.get(product.id)).toBe(shop.levels.filter((l) => l['inventory_item_id'] === tracked.inventory_item_id).reduce((t, l) => t + Number(l['available']), 0));
    expect(await connector.sync!.product!(ctx.ctx, job())).toMatchObject({ created: 0, updated: 0, skipped: variants.length });
    // A price changed at Shopify is an update, under the same (generated) SKU.
    const noSku = shop.products.find((p) => (p['variants'] as Array<{ sku: string }>)[0]!.sku === '')!;
    (noSku['variants'] as Array<{ price: string }>)[0]!.price = '999.99';
    expect(await connector.sync!.product!(ctx.ctx, job())).toMatchObject({ created: 0, updated: 1 });
    expect(catalog.products).toHaveLength(variants.length);
    expect(contractProblems(connector, ctx)).toEqual([]);
  });

  it('accepts a webhook only with the HMAC of its exact body, and dedupes by the webhook id', async () => {
    const delivery = shop.webhook('products/update', shop.products[0], SECRET);
    const request = (body: string, headers = delivery.headers) => ({ headers, query: {}, rawBody: new TextEncoder().encode(body) });
    expect(await connector.verifyWebhook!(test.ctx, request(delivery.body))).toEqual({ eventId: delivery.headers['x-shopify-webhook-id'] });
    expect(await connector.verifyWebhook!(test.ctx, request(`${delivery.body} `))).toBe(false);
    expect(await connector.verifyWebhook!(test.ctx, request(delivery.body, { ...delivery.headers, 'x-shopify-hmac-sha256': shop.webhook('products/update', shop.products[0], 'other-secret-0000').headers['x-shopify-hmac-sha256']! }))).toBe(false);
    const { 'x-shopify-hmac-sha256': _dropped, ...unsigned } = delivery.headers;
    expect(await connector.verifyWebhook!(test.ctx, request(delivery.body, unsigned))).toBe(false);
    const noSecret = createTestContext(connector, { credentials: { shopDomain: shop.shop, accessToken: TOKEN }, config: { insecureHttp: true } });
    expect(await connector.verifyWebhook!(noSecret.ctx, request(delivery.body))).toBe(false);
  });

  it('maps gateways to payment methods, the organization\'s own mapping first', () => {
    expect(methodOf('shopify_payments')).toBe('CARD');
    expect(methodOf('paypal')).toBe('PAYPAL');
    expect(methodOf('Cash on Delivery (COD)')).toBe('CASH');
    expect(methodOf('Bank Deposit')).toBe('BANK_TRANSFER');
    expect(methodOf('some_new_gateway')).toBe('OTHER');
    expect(methodOf('some_new_gateway', { some_new_gateway: 'E_TRANSFER' })).toBe('E_TRANSFER');
  });
});
