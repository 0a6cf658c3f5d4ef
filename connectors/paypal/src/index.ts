import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { captureOrder, createOrder } from './orders.js';
import { paypal, type Config, type Credentials } from './paypal-client.js';
import { handlePayPalWebhook, verifyPayPalWebhook } from './webhooks.js';

export type { Config, Credentials } from './paypal-client.js';

export default defineConnector<Credentials, Config>({
  manifest,
  // Enabling the integration fetches an access token and reads the webhook: a wrong client id, secret or
  // webhook id (one of another app or environment) is refused then, not at the first payment.
  check: async (ctx) => {
    await paypal(ctx).rest('GET', `/v1/notifications/webhooks/${encodeURIComponent(ctx.credentials.webhookId)}`);
  },
  actions: {
    create_order: createOrder,
    capture_order: captureOrder,
  },
  verifyWebhook: verifyPayPalWebhook,
  handleWebhook: handlePayPalWebhook,
});
