import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import connector from '../src/index.js';
import type { Config, Credentials } from '../src/paypal-client.js';
import { toMinorUnits, toPayPalMoney } from '../src/money.js';
import { fakeBooks } from './books-fake.js';
import { startPayPalEmulator, type PayPalEmulator } from './emulator.js';

const INVOICE = 'inv_01JPAYPALTEST000000000001';
const CUSTOMER = 'cus_01JPAYPALTEST000000000001';
let pp: PayPalEmulator;
let test: TestContext<Credentials, Config>;
let books: ReturnType<typeof fakeBooks>;

const context = (extra: Partial<Config> = {}, credentials: Partial<Credentials> = {}): TestContext<Credentials, Config> =>
  createTestContext(connector, {
    credentials: { clientId: pp.clientId, clientSecret: pp.clientSecret, webhookId: pp.webhookId, environment: 'sandbox', ...credentials },
    config: { baseUrl: pp.url, ...extra },
    entities: books.entities,
  });
const createOrder = (t = test) => connector.actions!['create_order']!(t.ctx, { invoiceId: INVOICE, returnUrl: 'https://shop.test/paid', cancelUrl: 'https://shop.test/cancelled' }) as Promise<{ id: string; status: string; approvalUrl: string }>;
const captureOrder = (orderId: string, t = test) => connector.actions!['capture_order']!(t.ctx, { orderId }) as Promise<{ status: string; captures: Array<Record<string, unknown>> }>;
async function paidOrder(): Promise<{ orderId: string; captureId: string }> {
  const order = await createOrder();
  pp.approve(order.id);
  const captured = await captureOrder(order.id);
  return { orderId: order.id, captureId: String(captured.captures[0]!['captureId']) };
}
const hook = (n: { body: string; headers: Record<string, string> }) => ({ headers: n.headers, query: {}, rawBody: new TextEncoder().encode(n.body) });
async function deliver(n: { body: string; headers: Record<string, string> }) {
  const verdict = await connector.verifyWebhook!(test.ctx, hook(n));
  if (verdict === false) return { refused: true as const };
  return (await connector.handleWebhook!(test.ctx, hook(n)))?.body;
}

beforeEach(async () => {
  pp = await startPayPalEmulator();
  books = fakeBooks({ id: INVOICE, customerId: CUSTOMER, balance: 10_000 });
  test = context();
});
afterEach(async () => {
  // Everything the connector sent and the emulator answered conforms to PayPal's OpenAPI descriptions.
  expect(pp.problems).toEqual([]);
  await pp.close();
});

describe('paypal connector', () => {
  it('keeps the contract: valid manifest, lowercase snake_case actions, webhooks', () => {
    expect(contractProblems(connector)).toEqual([]);
    expect(connector.manifest.actions.map((a) => a.name)).toEqual(['create_order', 'capture_order']);
  });

  it('converts amounts exactly per currency', () => {
    expect(toMinorUnits({ currency_code: 'USD', value: '10.99' })).toEqual({ amount: 1099, currency: 'USD' });
    expect(toMinorUnits({ currency_code: 'JPY', value: '5000' })).toEqual({ amount: 5000, currency: 'JPY' });
    expect(toMinorUnits({ currency_code: 'KWD', value: '1.5' })).toEqual({ amount: 1500, currency: 'KWD' });
    expect(toPayPalMoney(1099, 'USD')).toEqual({ currency_code: 'USD', value: '10.99' });
    expect(toPayPalMoney(100_000, 'HUF')).toEqual({ currency_code: 'HUF', value: '1000' });
    expect(() => toPayPalMoney(100_050, 'HUF')).toThrow(/whole HUF/);
    expect(() => toMinorUnits({ currency_code: 'USD', value: '1.999' })).toThrow(/decimals/);
  });

  it('creates an order for the invoice through the SDK: intent CAPTURE, invoice and customer ids, return URLs, no shipping', async () => {
    const order = await createOrder();
    expect(order).toMatchObject({ status: 'PAYER_ACTION_REQUIRED', approvalUrl: `https://www.sandbox.paypal.com/checkoutnow?token=${order.id}` });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- PayPal's request body, read loosely; its shape is checked against PayPal's schema
    const sent = pp.orders.get(order.id)!.request as unknown as Record<string, any>;
    expect(sent['intent']).toBe('CAPTURE');
    expect(sent['purchase_units'][0]).toMatchObject({ invoice_id: INVOICE, custom_id: CUSTOMER, amount: { currency_code: 'USD', value: '100.00' } });
    expect(sent['payment_source'].paypal.experience_context).toMatchObject({ return_url: 'https://shop.test/paid', cancel_url: 'https://shop.test/cancelled', shipping_preference: 'NO_SHIPPING' });
    // A caller's retry with the same requestId is the same order (PayPal-Request-Id); without one, a new order.
    const again = { invoiceId: INVOICE, returnUrl: 'https://shop.test/paid', cancelUrl: 'https://shop.test/cancelled', requestId: 'checkout-42' };
    const first = (await connector.actions!['create_order']!(test.ctx, again)) as { id: string };
    expect(((await connector.actions!['create_order']!(test.ctx, again)) as { id: string }).id).toBe(first.id);
    expect((await createOrder()).id).not.toBe(order.id);
    expect(pp.orders.size).toBe(3);
    expect(contractProblems(connector, test)).toEqual([]);
  });

  it('checks requests against PayPal\'s schema: a malformed order gets PayPal\'s 400 and is reported', async () => {
    const token = (await (await fetch(`${pp.url}/v1/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${pp.clientId}:${pp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).json()) as { access_token: string };
    const res = await fetch(`${pp.url}/v2/checkout/orders`, { method: 'POST', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ intent: 'SALE', purchase_units: [{ amount: { currency_code: 'USD', value: 'ten' } }] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ name: 'INVALID_REQUEST', debug_id: expect.any(String), details: expect.arrayContaining([expect.objectContaining({ issue: 'INVALID_PARAMETER_SYNTAX' })]) });
    expect(pp.problems.some((p) => p.includes('order_request/intent'))).toBe(true);
    expect(pp.problems.some((p) => p.includes('/purchase_units/0/amount/value'))).toBe(true);
    pp.problems.length = 0;
  });

  it('fetches one OAuth2 token, reuses it, and gets a new one once it expires', async () => {
    pp.tokenLifetimeSeconds = 2;
    await createOrder();
    await connector.actions!['create_order']!(test.ctx, { invoiceId: INVOICE, amount: 500, returnUrl: 'https://shop.test/a', cancelUrl: 'https://shop.test/b' });
    expect(pp.tokensIssued).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await connector.actions!['create_order']!(test.ctx, { invoiceId: INVOICE, amount: 600, returnUrl: 'https://shop.test/a', cancelUrl: 'https://shop.test/b' });
    expect(pp.tokensIssued).toBe(2);
    expect(pp.received.filter((r) => r === 'POST /v2/checkout/orders')).toHaveLength(3);
    // A token PayPal stopped taking fails that call (401), and is not used again.
    pp.revokeTokens();
    await expect(createOrder()).rejects.toMatchObject({ status: 401, message: expect.stringContaining('AUTHENTICATION_FAILURE') });
    await createOrder();
    expect(pp.tokensIssued).toBe(3);
  });

  it('refuses wrong credentials or a webhook id PayPal does not know when the integration is enabled', async () => {
    const wrong = context({}, { clientSecret: 'not-the-secret' });
    await expect(connector.check!(wrong.ctx)).rejects.toMatchObject({ code: 'HTTP_STATUS', status: 401 });
    const otherHook = context({}, { webhookId: 'WH0THERHOOK' });
    await expect(connector.check!(otherHook.ctx)).rejects.toMatchObject({ status: 404, message: expect.stringContaining('INVALID_RESOURCE_ID') });
    await expect(connector.check!(test.ctx)).resolves.toBeUndefined();
  });

  it('captures, recording the payment with PayPal fee and net against the invoice', async () => {
    const order = await createOrder();
    await expect(captureOrder(order.id)).rejects.toMatchObject({ status: 422, message: expect.stringContaining('ORDER_NOT_APPROVED') });
    pp.approve(order.id);
    const captured = await captureOrder(order.id);
    const fee = Math.round((10_000 * 349) / 10_000) + 49;
    expect(captured).toMatchObject({ status: 'COMPLETED', captures: [{ captureStatus: 'COMPLETED', paymentStatus: 'COMPLETED', amount: 10_000, fees: fee, net: 10_000 - fee }] });
    expect(books.payments).toHaveLength(1);
    expect(books.payments[0]).toMatchObject({ status: 'COMPLETED', method: 'PAYPAL', depositAccount: 'payment_clearing', amount: 10_000, fees: fee, reference: captured.captures[0]!['captureId'], applications: [{ invoiceId: INVOICE, amount: 10_000 }] });
  });

  it('waits out a 429 with Retry-After, and retries a capture after a 500 without capturing twice', async () => {
    const order = await createOrder();
    pp.approve(order.id);
    pp.fail('POST /v2/checkout/orders/', { status: 429, retryAfterSeconds: 1 });
    pp.fail('/capture', { status: 500, afterProcessing: true });
    const started = Date.now();
    const captured = await captureOrder(order.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(pp.received.filter((r) => r.endsWith('/capture'))).toHaveLength(3);
    expect(pp.captures.size).toBe(1);
    expect(captured.captures).toHaveLength(1);
    expect(books.payments).toHaveLength(1);
  });

  it('gives up on a PayPal that does not answer, with a timeout the hub reports as retryable', async () => {
    const slow = context({ timeoutMs: 300 });
    await connector.check!(slow.ctx);
    pp.fail('POST /v2/checkout/orders', { hangMs: 1_500 });
    pp.fail('POST /v2/checkout/orders', { hangMs: 1_500 });
    pp.fail('POST /v2/checkout/orders', { hangMs: 1_500 });
    pp.fail('POST /v2/checkout/orders', { hangMs: 1_500 });
    await expect(createOrder(slow)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('records a declined capture as a failed payment, and a pending one completed later by the webhook', async () => {
    pp.nextCaptureStatus = 'DECLINED';
    await paidOrder();
    expect(books.payments[0]).toMatchObject({ status: 'FAILED', failureReason: expect.stringContaining('declined') });
    pp.nextCaptureStatus = 'PENDING';
    const { captureId } = await paidOrder();
    expect(books.payments[1]).toMatchObject({ status: 'PENDING', fees: 0 });
    pp.settle(captureId, 'COMPLETED');
    const completed = pp.notification('PAYMENT.CAPTURE.COMPLETED', pp.captureResource(captureId));
    expect(await deliver(completed)).toMatchObject({ paymentId: 'pay_2', status: 'COMPLETED' });
    expect(books.payments[1]).toMatchObject({ status: 'COMPLETED', fees: 398 });
    // A late PENDING→DENIED never undoes the completion.
    expect(await deliver(pp.notification('PAYMENT.CAPTURE.DENIED', { ...pp.captureResource(captureId), status: 'DECLINED' }))).toMatchObject({ status: 'COMPLETED' });
  });

  it('verifies notifications with PayPal and refuses forged, altered or unsigned ones', async () => {
    const { captureId } = await paidOrder();
    const genuine = pp.notification('PAYMENT.CAPTURE.COMPLETED', pp.captureResource(captureId));
    const sent = pp.received.length;
    expect(await connector.verifyWebhook!(test.ctx, hook(genuine))).toEqual({ eventId: JSON.parse(genuine.body).id });
    expect(pp.received.slice(sent)).toEqual(['POST /v1/notifications/verify-webhook-signature']);
    const altered = { ...genuine, body: genuine.body.replace('"COMPLETED"', '"REFUNDED"') };
    expect(await connector.verifyWebhook!(test.ctx, hook(altered))).toBe(false);
    const { ['paypal-transmission-sig']: _dropped, ...unsigned } = genuine.headers;
    expect(await connector.verifyWebhook!(test.ctx, hook({ ...genuine, headers: unsigned }))).toBe(false);
    pp.forceVerification = 'FAILURE';
    expect(await connector.verifyWebhook!(test.ctx, hook(genuine))).toBe(false);
    const otherHook = context({}, { webhookId: 'WH0THERHOOK' });
    pp.forceVerification = undefined;
    expect(await connector.verifyWebhook!(otherHook.ctx, hook(genuine))).toBe(false);
  });

  it('maps refunds and disputes onto the payment once each, even before the completion arrives', async () => {
    const { captureId } = await paidOrder();
    const completed = pp.notification('PAYMENT.CAPTURE.COMPLETED', pp.captureResource(captureId));
    const refund = pp.notification('PAYMENT.CAPTURE.REFUNDED', pp.refund(captureId, 2_500));
    expect(await deliver(refund)).toMatchObject({ paymentId: 'pay_1', status: 'COMPLETED' });
    expect(await deliver(refund)).toEqual({ ignored: 'refund already recorded' });
    // The completion, delivered after the refund, changes nothing.
    expect(await deliver(completed)).toMatchObject({ paymentId: 'pay_1', status: 'COMPLETED' });
    const dispute = pp.notification('CUSTOMER.DISPUTE.CREATED', pp.dispute(captureId, 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED', 7_500));
    expect(await deliver(dispute)).toMatchObject({ paymentId: 'pay_1', status: 'DISPUTED' });
    expect(await deliver(dispute)).toMatchObject({ ignored: 'payment pay_1 is DISPUTED' });
    expect(books.payments).toHaveLength(1);
    expect(books.payments[0]).toMatchObject({ amountRefunded: 2_500, dispute: { amount: 7_500, reason: 'PRODUCT_NOT_RECEIVED' } });
    expect(books.calls).toEqual(['record COMPLETED', 'refund', 'dispute']);
  });

  it('records a capture it first hears of from a refund, by reading it from PayPal', async () => {
    const order = await createOrder();
    pp.approve(order.id);
    // Captured elsewhere (the payer's browser returned to another system): only webhooks reach us.
    const other = context();
    const otherBooks = fakeBooks({ id: INVOICE, customerId: CUSTOMER });
    other.ctx.entities = { ...other.ctx.entities, ...otherBooks.entities };
    await captureOrder(order.id, other);
    const captureId = [...pp.captures.keys()][0]!;
    expect(await deliver(pp.notification('PAYMENT.CAPTURE.REFUNDED', pp.refund(captureId)))).toMatchObject({ status: 'REFUNDED' });
    expect(pp.received).toContain(`GET /v2/payments/captures/${captureId}`);
    expect(books.payments[0]).toMatchObject({ status: 'REFUNDED', amountRefunded: 10_000, reference: captureId });
  });
});
