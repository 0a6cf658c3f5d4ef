import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { captureOrder, createOrder } from './orders.js';
import { paypal, type Config, type Credentials } from './paypal-client.js';
import { handlePayPalWebhook, verifyPayPalWebhook } from './webhooks.js';

export type { Config, Credentials } from './paypal-client.js';

export default defineConnector<Credentials, Config>({
  manifest,
  // Enabling the integration fetches an access token: a wrong client id or secret is refused then.
  check: async (ctx) => {
    await paypal(ctx).accessToken();
  },
  actions: {
    create_order: createOrder,
    capture_order: captureOrder,
  },
  verifyWebhook: verifyPayPalWebhook,
  handleWebhook: handlePayPalWebhook,
});
