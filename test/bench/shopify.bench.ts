/**
 * Shopify import benchmark: paid orders read from the emulated Admin REST API (pages of 250 through the
 * `Link` header) and imported through the hub as they are in production (the connector in its worker
 * thread, each order a customer, an invoice SHOP-<number> issued and posted, a payment posted and
 * applied, refunds), on a fresh PostgreSQL database. Prints `orders=`, `seconds=` and `orders_per_s=`.
 *
 *   npm run bench:shopify                    # 10,000 orders over 200 products
 *   BENCH_ORDERS=2000 npm run bench:shopify
 *
 * Environment: BENCH_ORDERS (default 10000), BENCH_PRODUCTS (default 200), TEST_DATABASE_URL as the tests.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startShopifyEmulator } from '../../connectors/shopify/test/emulator.js';

const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 10_000);
const PRODUCTS = Number(process.env['BENCH_PRODUCTS'] ?? 200);
const TOKEN = 'shpat_bench_0123456789abcdef';
const print = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  const shop = await startShopifyEmulator({ token: TOKEN, products: PRODUCTS, orders: ORDERS });
  const platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 512 }, loadTimeoutMs: 60_000, timeouts: { sync: 4 * 3_600_000 } }, { logger: silent, secrets: createSecretBox(randomBytes(32)) });
  const hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
  try {
    const org = await hub.createOrganization(`Shopify bench ${randomBytes(3).toString('hex')}`);
    const base = `/v1/organizations/${org.id}/integrations/shopify`;
    const put = await hub.request('PUT', base, { token: org.apiKey, body: { credentials: { shopDomain: shop.shop, accessToken: TOKEN }, config: { insecureHttp: true } } });
    if (put.status !== 200) throw new Error(`integration not enabled: ${JSON.stringify(put.body)}`);
    const paid = shop.orders.filter((o) => o['financial_status'] !== 'pending').length;
    const queued = await hub.request('POST', `${base}/sync`, { token: org.apiKey, body: { dataTypes: ['order'] } });
    const started = performance.now();
    while ((await platform.sync.runQueued()) > 0);
    const seconds = (performance.now() - started) / 1000;
    const job = (await hub.request('GET', `${base}/sync-jobs/${queued.body.data[0].id}`, { token: org.apiKey })).body;
    if (job.status !== 'SUCCESS' || job.counts.created !== paid) throw new Error(`the import did not finish as expected: ${JSON.stringify({ status: job.status, counts: job.counts })}`);
    print(`orders=${ORDERS}`);
    print(`paid_orders_imported=${job.counts.created}`);
    print(`seconds=${seconds.toFixed(1)}`);
    print(`orders_per_s=${(ORDERS / seconds).toFixed(1)}`);
  } finally {
    await platform.stop();
    await shop.close();
    await hub.close();
  }
}

await main();
