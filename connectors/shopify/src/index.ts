import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { shopifyClient, type Config, type Credentials } from './api.js';
import { pullOrders } from './orders.js';
import { pullProducts } from './products.js';
import { handleShopifyWebhook, verifyShopifyWebhook } from './webhooks.js';

export type { Config, Credentials } from './api.js';
export { shopifySignature } from './webhooks.js';
export { invoiceNumber } from './orders.js';

export default defineConnector<Credentials, Config>({
  manifest,
  check: async (ctx) => {
    await shopifyClient(ctx).get('locations', 'locations', { limit: 1 });
  },
  sync: { product: pullProducts, order: pullOrders },
  verifyWebhook: verifyShopifyWebhook,
  handleWebhook: handleShopifyWebhook,
});
