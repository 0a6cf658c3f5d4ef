import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Connection } from 'rabbitmq-client';
import { createAmqpBus, createRelay, createSecretBox, type Bus, type Relay } from '@uah/core';
import type { Event } from '@uah/schemas';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL, createCollector, waitFor } from '../../core/src/events/testing.js';
import { get, issuedInvoice, post, postingsOf, setupBooks, writeCounts, type Books, type Json } from '../../core/src/payments/testing.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startStripeEmulator, type StripeEmulator } from '../../connectors/stripe/test/emulator.js';
import { feeOf, type StripeObject } from '../../connectors/stripe/test/stripe-objects.js';

/**
 * The Stripe connector end to end: the built-in connector loaded by the hub, enabled through the
 * marketplace API, talking to the Stripe emulator through the official client, with Stripe-signed
 * webhooks delivered to /v1/hooks/stripe/{orgId}, on the real PostgreSQL and RabbitMQ.
 */
const KEY = 'sk_test_e2e_0123456789abcdef';
const HOOK = 'whsec_e2e_0123456789abcdef';
const silent = pino({ level: 'silent' });
const run = `stripe-${randomBytes(4).toString('hex')}`;

let hub: TestHub;
let bus: Bus;
let relay: Relay;
let platform: ConnectorPlatform;
let admin: Connection;
const emulators: StripeEmulator[] = [];
const disposers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 192 }, loadTimeoutMs: 60_000 }, { logger: silent, secrets: createSecretBox(randomBytes(32)) });
  bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  hub = await createTestHub({ bus, extraRoutes: (services, knex) => platform.routes(services, knex) });
  relay = createRelay({ knex: hub.db.knex, bus, logger: silent, embedded: false });
  relay.start();
  admin = new Connection(AMQP_URL);
}, 120_000);
afterAll(async () => {
  for (const dispose of disposers) await dispose();
  await platform.stop();
  await relay.stop();
  await admin.close();
  await bus.close();
  for (const e of emulators) await e.close();
  await hub.close();
});

interface Shop {
  books: Books;
  stripe: StripeEmulator;
  /** What RabbitMQ delivered for the organization, in order. */
  delivered: () => Event[];
  deliver(event: StripeObject, options?: { secret?: string; timestamp?: number }): Promise<{ status: number; body: Json }>;
  intent(body: Record<string, unknown>, status?: number): Promise<Json>;
}

/** An organization with its own Stripe emulator, the connector enabled through the marketplace API, and a RabbitMQ consumer of its events. */
async function shop(name: string, currency = 'USD'): Promise<Shop> {
  const books = await setupBooks(hub, `${name} ${run}`, currency);
  const stripe = await startStripeEmulator(KEY);
  emulators.push(stripe);
  const enabled = await hub.request('PUT', books.path('/integrations/stripe'), { token: books.org.apiKey, body: { credentials: { secretKey: KEY, webhookSecret: HOOK }, config: { apiBase: stripe.url } } });
  expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
  expect(enabled.body).toMatchObject({ connectorId: 'stripe', isActive: true });
  const collector = await createCollector(bus, admin, run)(name.toLowerCase().replace(/\W/g, '-'), { bindings: [`${books.org.id}.#`] });
  disposers.push(() => collector.dispose());
  return {
    books, stripe,
    delivered: () => collector.received.map((r) => r.event),
    async deliver(event, options = {}) {
      const { body, signature } = stripe.signed(event, options.secret ?? HOOK, options.timestamp);
      const res = await hub.request('POST', `/v1/hooks/stripe/${books.org.id}`, { token: null, raw: body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
      return { status: res.status, body: res.body };
    },
    async intent(body, status = 200) {
      const res = await hub.request('POST', books.path('/payments/stripe/intent'), { token: books.org.apiKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      return res.body;
    },
  };
}

const eventOf = (s: Shop, type: string, objectId: string): StripeObject => {
  const found = s.stripe.events.filter((e) => e['type'] === type && (e['data'] as { object: { id: string } }).object.id === objectId).at(-1);
  if (!found) throw new Error(`no ${type} for ${objectId}`);
  return found;
};
const types = (events: Event[], prefixes = ['payment.', 'invoice.paid', 'invoice.partially_paid', 'payout.']): string[] => events.map((e) => e.type).filter((t) => prefixes.some((p) => t.startsWith(p)));
async function balances(s: Shop): Promise<Record<string, number>> {
  const accounts = await get(hub, s.books, '/accounts?limit=100');
  return Object.fromEntries((accounts.data as Array<{ code: string; balance: number }>).map((a) => [a.code, a.balance]));
}

describe('Stripe connector end to end', () => {
  it('an intent for part of an invoice through the generic route, settled by signed webhooks in any order, once', async () => {
    const s = await shop('Stripe Shop');
    const invoice = await issuedInvoice(hub, s.books, [{ unitPrice: 10000 }]);
    const intent = await s.intent({ invoiceId: invoice.id, amount: 6000, paymentMethodTypes: ['card'] });
    expect(intent).toMatchObject({ id: expect.stringMatching(/^pi_/), clientSecret: expect.stringMatching(/_secret_/), status: 'requires_payment_method', amount: 6000, currency: 'USD', paymentId: expect.stringMatching(/^pay_/) });
    const sent = s.stripe.received.find((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    expect(sent?.idempotencyKey).toMatch(/^uah-intent-/);
    expect(sent?.form).toMatchObject({ amount: '6000', currency: 'usd', customer: expect.stringMatching(/^cus_/), payment_method_types: ['card'], metadata: { organizationId: s.books.org.id, customerId: s.books.customerId, invoiceId: invoice.id } });
    // The same request again: the same intent from Stripe (same key) and the same pending payment.
    expect(await s.intent({ invoiceId: invoice.id, amount: 6000, paymentMethodTypes: ['card'] })).toEqual(intent);
    expect(s.stripe.received.filter((r) => r.path === '/v1/customers').length).toBe(1);
    expect(await get(hub, s.books, `/payments/${intent.paymentId}`)).toMatchObject({ status: 'PENDING', reference: intent.id, amount: 6000, depositAccount: 'payment_clearing', journalEntryId: null });

    await s.stripe.confirm(intent.id, 'pm_processing');
    s.stripe.succeed(intent.id);
    const succeeded = eventOf(s, 'payment_intent.succeeded', intent.id);
    const processing = eventOf(s, 'payment_intent.processing', intent.id);
    // Stripe's order is not kept: succeeded arrives first, then the processing it overtook, then succeeded again.
    expect(await s.deliver(succeeded)).toMatchObject({ status: 200, body: { type: 'payment_intent.succeeded', status: 'COMPLETED' } });
    expect(await s.deliver(processing)).toMatchObject({ status: 200, body: { ignored: 'payment is COMPLETED' } });
    expect(await s.deliver(succeeded)).toEqual({ status: 200, body: { received: true, duplicate: true } });

    const fee = feeOf(6000, 'usd');
    const payment = await get(hub, s.books, `/payments/${intent.paymentId}`);
    expect(payment).toMatchObject({ status: 'COMPLETED', fees: fee, net: 6000 - fee, appliedAmount: 6000 });
    expect(await postingsOf(hub, s.books, payment.journalEntryId)).toEqual([['1050', 'DEBIT', 6000 - fee, 'USD'], ['6100', 'DEBIT', fee, 'USD'], ['1100', 'CREDIT', 6000, 'USD']]);
    expect(await get(hub, s.books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', balance: 4000 });

    // The rest of the invoice, paid at once by card.
    const rest = await s.intent({ invoiceId: invoice.id });
    expect(rest.amount).toBe(4000);
    await s.stripe.confirm(rest.id);
    expect((await s.deliver(eventOf(s, 'payment_intent.succeeded', rest.id))).status).toBe(200);
    expect(await get(hub, s.books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID', balance: 0 });
    expect(await balances(s)).toMatchObject({ '1050': 10000 - fee - feeOf(4000, 'usd'), '6100': fee + feeOf(4000, 'usd'), '1100': 0 });

    await waitFor(() => types(s.delivered()).includes('invoice.paid'));
    expect(types(s.delivered())).toEqual(['payment.initiated', 'payment.succeeded', 'invoice.partially_paid', 'payment.initiated', 'payment.succeeded', 'invoice.paid']);
    const viaBus = s.delivered().find((e) => e.type === 'payment.succeeded');
    expect(viaBus?.metadata).toMatchObject({ source: 'WEBHOOK', userId: 'connector:stripe', causationId: `stripe:${succeeded.id}` });
  }, 120_000);

  it('a forged or stale signature gets 400 and changes nothing; a declined card fails the payment with its reason', async () => {
    const s = await shop('Stripe Guarded');
    const invoice = await issuedInvoice(hub, s.books, [{ unitPrice: 2500 }]);
    const intent = await s.intent({ invoiceId: invoice.id });
    await s.stripe.confirm(intent.id);
    const succeeded = eventOf(s, 'payment_intent.succeeded', intent.id);
    const before = await writeCounts(hub);
    const forged = await s.deliver(succeeded, { secret: 'whsec_forged_0123456789' });
    expect(forged).toMatchObject({ status: 400, body: { code: 'WEBHOOK_VERIFICATION_FAILED' } });
    const stale = await s.deliver(succeeded, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale).toMatchObject({ status: 400, body: { code: 'WEBHOOK_VERIFICATION_FAILED' } });
    const tampered = s.stripe.signed(succeeded, HOOK);
    const res = await hub.request('POST', `/v1/hooks/stripe/${s.books.org.id}`, { token: null, raw: tampered.body.replace('"amount": 2500', '"amount": 1'), headers: { 'content-type': 'application/json', 'stripe-signature': tampered.signature } });
    expect(res.status).toBe(400);
    expect(await writeCounts(hub)).toEqual(before);
    expect(await get(hub, s.books, `/payments/${intent.paymentId}`)).toMatchObject({ status: 'PENDING' });

    const declined = await s.intent({ amount: 1500, currency: 'USD', customerId: s.books.customerId, savePaymentMethod: true, metadata: { orderRef: 'A-17' } });
    expect(s.stripe.received.filter((r) => r.path === '/v1/payment_intents').at(-1)?.form).toMatchObject({ setup_future_usage: 'off_session', automatic_payment_methods: { enabled: 'true' }, metadata: { orderRef: 'A-17', customerId: s.books.customerId } });
    expect((await s.stripe.confirm(declined.id, 'pm_card_chargeDeclined')).status).toBe(402);
    expect((await s.deliver(eventOf(s, 'payment_intent.payment_failed', declined.id))).status).toBe(200);
    expect(await get(hub, s.books, `/payments/${declined.paymentId}`)).toMatchObject({ status: 'FAILED', failureReason: 'generic_decline: Your card was declined.', journalEntryId: null });
    await waitFor(() => types(s.delivered()).includes('payment.failed'));
  }, 120_000);

  it("Stripe's refusals reach the caller as the provider's: a rate limit is waited out, a failing Stripe is a 502, an amount Stripe cannot charge a 422", async () => {
    const s = await shop('Stripe Flaky');
    s.stripe.failNext({ status: 429, retryAfter: 1, path: '/v1/payment_intents' });
    const waited = await s.intent({ amount: 1200, currency: 'USD', customerId: s.books.customerId });
    expect(waited.status).toBe('requires_payment_method');
    expect(s.stripe.received.filter((r) => r.path === '/v1/payment_intents').length).toBe(2);
    s.stripe.failNext({ status: 500, times: 3, path: '/v1/payment_intents' }); // the first try and the client's two retries
    const failed = await s.intent({ amount: 1300, currency: 'USD', customerId: s.books.customerId }, 502);
    expect(failed).toMatchObject({ code: 'PROVIDER_ERROR', source: 'provider', providerStatus: 500, retryable: true });
    expect(s.stripe.received.filter((r) => r.path === '/v1/payment_intents').length).toBe(2 + 3);
    const invoice = await issuedInvoice(hub, s.books, [{ unitPrice: 500 }]);
    expect(await s.intent({ invoiceId: invoice.id, amount: 501 }, 422)).toMatchObject({ code: 'UNPROCESSABLE', source: 'connector', errors: [{ field: '/amount' }] });
    expect(await s.intent({ invoiceId: 'inv_missing' }, 422)).toMatchObject({ code: 'UNPROCESSABLE', errors: [{ field: '/invoiceId' }] });
    expect(s.stripe.received.filter((r) => r.path === '/v1/payment_intents').length).toBe(5);

    // The hub's own Idempotency-Key: the retry is answered from the first response, Stripe is not asked again.
    const keyed = () => hub.request('POST', s.books.path('/payments/stripe/intent'), { token: s.books.org.apiKey, body: { invoiceId: invoice.id }, headers: { 'idempotency-key': `intent-${run}` } });
    const once = await keyed();
    expect(once.status).toBe(200);
    expect(await keyed()).toMatchObject({ status: 200, body: once.body });
    expect(s.stripe.received.filter((r) => r.path === '/v1/payment_intents').length).toBe(6);
    expect((await get(hub, s.books, `/payments?invoiceId=${invoice.id}`)).data).toHaveLength(1);
  }, 120_000);

  it("charges zero-decimal, ISK and three-decimal currencies in Stripe's units and books them in ISO minor units", async () => {
    const yen = await shop('Stripe Yen', 'JPY');
    const invoice = await issuedInvoice(hub, yen.books, [{ unitPrice: 5000 }]);
    const intent = await yen.intent({ invoiceId: invoice.id });
    expect(intent).toMatchObject({ amount: 5000, currency: 'JPY' });
    expect(yen.stripe.received.find((r) => r.path === '/v1/payment_intents')?.form).toMatchObject({ amount: '5000', currency: 'jpy' });
    await yen.stripe.confirm(intent.id);
    expect((await yen.deliver(eventOf(yen, 'payment_intent.succeeded', intent.id))).status).toBe(200);
    expect(await get(hub, yen.books, `/payments/${intent.paymentId}`)).toMatchObject({ status: 'COMPLETED', amount: 5000, fees: feeOf(5000, 'jpy') });
    expect(await get(hub, yen.books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID' });

    const krona = await shop('Stripe Krona', 'ISK');
    const isk = await krona.intent({ amount: 1500, currency: 'ISK', customerId: krona.books.customerId });
    expect(isk).toMatchObject({ amount: 1500, currency: 'ISK' });
    expect(krona.stripe.received.find((r) => r.path === '/v1/payment_intents')?.form).toMatchObject({ amount: '150000', currency: 'isk' });

    const dinar = await shop('Stripe Dinar', 'KWD');
    expect(await dinar.intent({ amount: 12345, currency: 'KWD', customerId: dinar.books.customerId }, 422)).toMatchObject({ errors: [{ field: '/amount' }] });
    expect(await dinar.intent({ amount: 12340, currency: 'KWD', customerId: dinar.books.customerId })).toMatchObject({ amount: 12340, currency: 'KWD' });
    expect(dinar.stripe.received.filter((r) => r.path === '/v1/payment_intents').map((r) => r.form['amount'])).toEqual(['12340']);
  }, 120_000);

  it('refunds and disputes at Stripe are posted through the payment; a paid payout moves clearing to the bank', async () => {
    const s = await shop('Stripe Payout');
    const first = await issuedInvoice(hub, s.books, [{ unitPrice: 8000 }]);
    const second = await issuedInvoice(hub, s.books, [{ unitPrice: 3000 }]);
    const paid: Json[] = [];
    for (const invoice of [first, second]) {
      const intent = await s.intent({ invoiceId: invoice.id });
      await s.stripe.confirm(intent.id);
      expect((await s.deliver(eventOf(s, 'payment_intent.succeeded', intent.id))).status).toBe(200);
      paid.push(await get(hub, s.books, `/payments/${intent.paymentId}`));
    }
    const [a, b] = paid as [Json, Json];
    const chargeOf = (p: Json): string => String((s.stripe.objects.get(p.reference) as StripeObject)['latest_charge']);

    s.stripe.refund(chargeOf(a), 1000);
    const refundedEvent = eventOf(s, 'charge.refunded', chargeOf(a));
    expect((await s.deliver(refundedEvent)).status).toBe(200);
    const refunded = await get(hub, s.books, `/payments/${a.id}`);
    expect(refunded).toMatchObject({ status: 'COMPLETED', amountRefunded: 1000 });
    expect(await postingsOf(hub, s.books, refunded.refunds[0].journalEntryId)).toEqual([['1050', 'CREDIT', 1000, 'USD'], ['1100', 'DEBIT', 1000, 'USD']]);
    expect(await get(hub, s.books, `/invoices/${first.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', balance: 1000 });

    const disputeEvent = s.stripe.dispute(chargeOf(b));
    expect((await s.deliver(disputeEvent)).status).toBe(200);
    const disputed = await get(hub, s.books, `/payments/${b.id}`);
    expect(disputed).toMatchObject({ status: 'DISPUTED', dispute: { amount: 3000, reason: 'FRAUDULENT', status: 'OPEN' } });
    expect(await postingsOf(hub, s.books, disputed.dispute.journalEntryId)).toEqual([['1060', 'DEBIT', 3000, 'USD'], ['1050', 'CREDIT', 3000, 'USD']]);

    const clearing = (await balances(s))['1050']!;
    const paidEvent = s.stripe.payout();
    const payoutObject = (paidEvent['data'] as { object: StripeObject }).object;
    // Stripe's dispute fee (1500) is in the payout but not in the books (see the README): the payout is that much less than clearing.
    expect(payoutObject['amount']).toBe(clearing - 1500);
    // payout.paid overtakes payout.created; the late created event changes nothing.
    expect(await s.deliver(paidEvent)).toMatchObject({ status: 200, body: { status: 'PAID' } });
    expect(await s.deliver(eventOf(s, 'payout.created', payoutObject.id))).toMatchObject({ status: 200, body: { status: 'PAID' } });
    const payouts = await get(hub, s.books, `/payouts?providerReference=${payoutObject.id}`);
    expect(payouts.data).toHaveLength(1);
    const payout = payouts.data[0];
    expect(payout).toMatchObject({ connectorId: 'stripe', status: 'PAID', amount: clearing - 1500, currency: 'USD' });
    expect([...payout.paymentIds].sort()).toEqual([a.id, b.id].sort());
    expect(payout.items.map((i: Json) => i.kind).sort()).toEqual(['DISPUTE', 'PAYMENT', 'PAYMENT', 'REFUND']);
    expect(await postingsOf(hub, s.books, payout.journalEntryId)).toEqual([['1000', 'DEBIT', clearing - 1500, 'USD'], ['1050', 'CREDIT', clearing - 1500, 'USD']]);
    expect(await balances(s)).toMatchObject({ '1050': 1500, '1000': clearing - 1500 });
    expect((await get(hub, s.books, `/payouts?amount=${clearing - 1500}&currency=USD`)).data.map((p: Json) => p.id)).toEqual([payout.id]);
    await waitFor(() => types(s.delivered()).includes('payout.paid'));
    expect(types(s.delivered(), ['payout.', 'payment.refunded', 'payment.disputed'])).toEqual(['payment.refunded', 'payment.disputed', 'payout.created', 'payout.paid']);

    // The dispute is won: the funds come back to clearing.
    const closed = s.stripe.closeDispute(String((disputeEvent['data'] as { object: StripeObject }).object.id), 'won');
    expect((await s.deliver(closed)).status).toBe(200);
    const won = await get(hub, s.books, `/payments/${b.id}`);
    expect(won).toMatchObject({ status: 'COMPLETED', dispute: { status: 'WON' } });
    expect(await postingsOf(hub, s.books, won.dispute.resolutionJournalEntryId)).toEqual([['1060', 'CREDIT', 3000, 'USD'], ['1050', 'DEBIT', 3000, 'USD']]);
  }, 120_000);

  it("imports past charges and payouts for a date range, and a second import changes nothing", async () => {
    const s = await shop('Stripe History');
    const { url } = s.stripe;
    const Stripe = (await import('stripe')).default;
    const direct = new Stripe(KEY, { host: new URL(url).hostname, port: Number(new URL(url).port), protocol: 'http', telemetry: false });
    const outside = await direct.customers.create({ name: 'Walk-in Ltd', email: 'walkin@example.test' });
    for (const amount of [2000, 3500]) {
      const pi = await direct.paymentIntents.create({ amount, currency: 'usd', customer: outside.id });
      await s.stripe.confirm(pi.id);
    }
    s.stripe.refund(String([...s.stripe.objects.values()].find((o) => o.object === 'charge' && o['amount'] === 3500)!.id), 500);
    s.stripe.payout();
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const first = await post(hub, s.books, '/integrations/stripe/actions/import_history', { from }, 200);
    expect(first.result).toMatchObject({ payments: { created: 2, failed: 0 }, payouts: { created: 1, failed: 0 } });
    const again = await post(hub, s.books, '/integrations/stripe/actions/import_history', { from }, 200);
    expect(again.result).toMatchObject({ payments: { created: 0, updated: 0, skipped: 2 }, payouts: { created: 0, skipped: 1 } });
    const payments = (await get(hub, s.books, '/payments?limit=100')).data as Json[];
    expect(payments.map((p) => [p.amount, p.fees, p.amountRefunded, p.status]).sort()).toEqual([[2000, feeOf(2000, 'usd'), 0, 'COMPLETED'], [3500, feeOf(3500, 'usd'), 500, 'COMPLETED']].sort());
    const customer = await get(hub, s.books, `/customers/${payments[0].customerId}`);
    expect(customer).toMatchObject({ displayName: 'Walk-in Ltd', email: 'walkin@example.test' });
    const payouts = (await get(hub, s.books, '/payouts')).data as Json[];
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ status: 'PAID', amount: 2000 - feeOf(2000, 'usd') + 3500 - feeOf(3500, 'usd') - 500 });
    expect([...payouts[0].paymentIds].sort()).toEqual(payments.map((p) => p.id).sort());
    expect((await balances(s))['1050']).toBe(0);

    // The scheduled sync reads the same objects (a full pass here): it finds them all in the books already.
    const queued = await hub.request('POST', s.books.path('/integrations/stripe/sync'), { token: s.books.org.apiKey, body: { full: true } });
    expect(queued.status).toBe(202);
    await platform.sync.runQueued();
    const jobs = await Promise.all((queued.body.data as Json[]).map((j) => get(hub, s.books, `/integrations/stripe/sync-jobs/${j.id}`)));
    expect(jobs.map((j) => [j.dataType, j.status, j.counts.created, j.counts.skipped]).sort()).toEqual([['payment', 'SUCCESS', 0, 2], ['payout', 'SUCCESS', 0, 1]]);
    expect((await get(hub, s.books, '/payments?limit=100')).data).toHaveLength(2);
  }, 120_000);
});
