import manifest from '../connector.json' with { type: 'json' };
import { defineConnector, type JsonValue } from '@uah/connector-sdk';

/** Action answers are plain JSON objects; the schema types say so only structurally. */
const json = (value: object): JsonValue => value as unknown as JsonValue;
import { call, stripeOf, type Config, type Credentials } from './client.js';
import { createPaymentIntent } from './intent.js';
import { importCharges, importPayouts, rangeOf } from './sync.js';
import { handleEvent, verifiedEvent } from './webhooks.js';

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export default defineConnector<Credentials, Config>({
  manifest,
  check: async (ctx) => {
    const stripe = stripeOf(ctx);
    await call(ctx, 'balance', () => stripe.balance.retrieve());
  },
  sync: {
    payment: (ctx, job) => importCharges(ctx, rangeOf(job)),
    payout: (ctx, job) => importPayouts(ctx, rangeOf(job)),
  },
  actions: {
    create_payment_intent: async (ctx, input) => json(await createPaymentIntent(ctx, input)),
    import_history: async (ctx, input) => {
      const { from, to } = input as { from: string; to?: string };
      const range = { from: seconds(from), ...(to ? { to: seconds(to) } : {}) };
      // Payments first: a payout's items link to the payments it settles.
      const payments = await importCharges(ctx, range);
      const payouts = await importPayouts(ctx, range);
      return json({ payments, payouts });
    },
  },
  verifyWebhook: async (ctx, request) => {
    const event = verifiedEvent(ctx, request);
    return event ? { eventId: event.id } : false;
  },
  handleWebhook: (ctx, request) => handleEvent(ctx, request),
});
