import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { fromStripeAmount, toStripeAmount } from '../src/amounts.js';
import { startStripeEmulator, type StripeEmulator } from './emulator.js';
import { fixtureOf } from './stripe-objects.js';

const KEY = 'sk_test_emulator_0123456789';
let emulator: StripeEmulator;
let stripe: Stripe;

/** Every field of Stripe's sample object of the same type is in what the emulator answered, with the same JSON kind. */
function expectStripeShape(object: unknown): void {
  const o = object as Record<string, unknown>;
  const sample = fixtureOf(String(o['object']));
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  const missing = Object.keys(sample).filter((k) => !(k in o));
  expect(missing, `${String(o['object'])} lacks fields of Stripe's sample`).toEqual([]);
  // An expanded id (`expand[]=balance_transaction`) is the object itself.
  const expanded = (v: unknown): boolean => kind(v) === 'object' && typeof (v as { id?: unknown }).id === 'string';
  for (const [k, v] of Object.entries(sample)) {
    if (v !== null && o[k] !== null && !(kind(v) === 'string' && expanded(o[k]))) expect([k, kind(o[k])]).toEqual([k, kind(v)]);
  }
  expect(String(o['id'])).toMatch(/^[a-z]+_[A-Za-z0-9]+$/);
}

beforeAll(async () => {
  emulator = await startStripeEmulator(KEY);
  const url = new URL(emulator.url);
  stripe = new Stripe(KEY, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
});
afterAll(() => emulator.close());

describe('Stripe emulator, through the official client', () => {
  it("answers objects with the fields and prefixes of Stripe's sample objects", async () => {
    const customer = await stripe.customers.create({ name: 'Ada', email: 'ada@example.test', metadata: { customerId: 'cus_ours' } });
    expect(customer.id).toMatch(/^cus_/);
    expectStripeShape(customer);
    const intent = await stripe.paymentIntents.create({ amount: 1099, currency: 'usd', customer: customer.id, metadata: { invoiceId: 'inv_1' } }, { idempotencyKey: 'k-shape' });
    expect(intent).toMatchObject({ amount: 1099, currency: 'usd', status: 'requires_payment_method', metadata: { invoiceId: 'inv_1' } });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expectStripeShape(intent);
    await emulator.confirm(intent.id);
    const paid = await stripe.paymentIntents.retrieve(intent.id);
    const charge = await stripe.charges.retrieve(paid.latest_charge as string, { expand: ['balance_transaction'] });
    expectStripeShape(charge);
    expect(charge.id).toMatch(/^ch_/);
    const txn = charge.balance_transaction as Stripe.BalanceTransaction;
    expectStripeShape(txn);
    expect(txn).toMatchObject({ amount: 1099, fee: 62, net: 1037, type: 'charge', source: charge.id });
    expectStripeShape(await stripe.refunds.create({ charge: charge.id, amount: 100 }));
    const dispute = emulator.dispute(charge.id);
    expectStripeShape(dispute);
    expectStripeShape((dispute['data'] as { object: unknown }).object);
    const payoutEvent = emulator.payout();
    const payout = await stripe.payouts.retrieve(String(((payoutEvent['data'] as { object: { id: string } }).object).id));
    expectStripeShape(payout);
    expect(payout).toMatchObject({ status: 'paid', amount: 1037 - 100 - 999 - 1500 });
    const settled = await stripe.balanceTransactions.list({ payout: payout.id, limit: 100 });
    expect(settled.data.map((t) => t.type).sort()).toEqual(['adjustment', 'charge', 'refund']);
    for (const t of settled.data) expectStripeShape(t);
    expect(emulator.events.map((e) => e['type'])).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'refund.created', 'charge.refunded', 'charge.dispute.created', 'payout.created', 'payout.paid']);
    for (const event of emulator.events) expectStripeShape(event);
  });

  it("signs events so that stripe.webhooks.constructEvent accepts them, and only with the right secret and time", () => {
    const event = emulator.events[0]!;
    const { body, signature } = emulator.signed(event, 'whsec_test_secret');
    expect(stripe.webhooks.constructEvent(body, signature, 'whsec_test_secret').id).toBe(event.id);
    expect(() => stripe.webhooks.constructEvent(body, signature, 'whsec_other_secret')).toThrow(/signature/i);
    const stale = emulator.signed(event, 'whsec_test_secret', Math.floor(Date.now() / 1000) - 3600);
    expect(() => stripe.webhooks.constructEvent(stale.body, stale.signature, 'whsec_test_secret', 300)).toThrow(/tolerance/i);
  });

  it("answers Stripe's error envelope: 402 declined card, 400 invalid amount and idempotency misuse, 401, 429 with Retry-After, 500", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    const declined = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined', decline_code: 'generic_decline' });
    expect(emulator.events.at(-1)).toMatchObject({ type: 'payment_intent.payment_failed', data: { object: { id: intent.id, last_payment_error: { code: 'card_declined' } } } });

    const kwd = await stripe.paymentIntents.create({ amount: 1005, currency: 'kwd' }).catch((e: unknown) => e);
    expect(kwd).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'amount_invalid', param: 'amount' });
    expect((await stripe.paymentIntents.create({ amount: 1000, currency: 'kwd' })).amount).toBe(1000);
    const isk = await stripe.paymentIntents.create({ amount: 150, currency: 'isk' }).catch((e: unknown) => e);
    expect(isk).toMatchObject({ statusCode: 400, code: 'amount_invalid' });

    await stripe.paymentIntents.create({ amount: 700, currency: 'usd' }, { idempotencyKey: 'k-same' });
    expect(await stripe.paymentIntents.create({ amount: 701, currency: 'usd' }, { idempotencyKey: 'k-same' }).catch((e: unknown) => e)).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });

    const url = new URL(emulator.url);
    const wrongKey = new Stripe('sk_test_wrong_000000', { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
    expect(await wrongKey.balance.retrieve().catch((e: unknown) => e)).toMatchObject({ statusCode: 401, type: 'StripeAuthenticationError' });

    emulator.failNext({ status: 429, retryAfter: 7 });
    const limited = await stripe.balance.retrieve().catch((e: unknown) => e);
    expect(limited).toMatchObject({ statusCode: 429, type: 'StripeRateLimitError', code: 'rate_limit' });
    expect((limited as Stripe.errors.StripeError).headers?.['retry-after']).toBe('7');
    emulator.failNext({ status: 500 });
    expect(await stripe.balance.retrieve().catch((e: unknown) => e)).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });
    expect((await stripe.balance.retrieve()).object).toBe('balance');
  });
});

describe("amounts in Stripe's units", () => {
  it('keeps two-decimal and zero-decimal currencies, scales ISK and UGX by 100, and refuses three-decimal amounts not ending in 0', () => {
    expect([toStripeAmount(1099, 'USD'), toStripeAmount(5000, 'JPY'), toStripeAmount(5000, 'KRW'), toStripeAmount(1500, 'ISK'), toStripeAmount(1500, 'UGX'), toStripeAmount(12340, 'KWD')]).toEqual([1099, 5000, 5000, 150000, 150000, 12340]);
    expect(() => toStripeAmount(12345, 'KWD')).toThrow(/multiples of 10/);
    expect(() => toStripeAmount(7, 'BHD')).toThrow(/multiples of 10/);
    expect([fromStripeAmount(150000, 'ISK'), fromStripeAmount(5000, 'JPY'), fromStripeAmount(12340, 'KWD'), fromStripeAmount(1099, 'EUR')]).toEqual([1500, 5000, 12340, 1099]);
  });
});
