import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from 'rabbitmq-client';
import pg from 'pg';
import pino from 'pino';
import type { Event } from '@uah/schemas';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { startPayPalEmulator, type PayPalEmulator } from '../../connectors/paypal/test/emulator.js';
import { AMQP_URL, testQueueName } from '../../core/src/events/testing.js';
import { testHubQueues } from '../hub-queues.js';

const silent = pino({ level: 'silent' });
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely; their shapes are checked by value
type Body = Record<string, any>;

const suffix = randomBytes(4).toString('hex');
const database = `uah_paypal_${suffix}`;
const queues = { hub: testHubQueues(), events: testQueueName('paypal.events') };
const dataDir = mkdtempSync(join(tmpdir(), 'uah-paypal-'));
const admin = new pg.Client({ connectionString: PG_URL });
const amqp = new Connection(AMQP_URL);
const received: Event[] = [];
let consumer: ReturnType<Connection['createConsumer']> | undefined;
let hub: Hub;
let pp: PayPalEmulator;
let org: { id: string; apiKey: string };

async function call(method: string, path: string, body?: unknown, token: string | null = org.apiKey): Promise<{ status: number; body: Body }> {
  const res = await fetch(hub.url + path, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Body };
}
const api = (method: string, path: string, body?: unknown) => call(method, `/v1/organizations/${org.id}${path}`, body);
const action = async (name: string, input: Record<string, unknown>): Promise<Body> => {
  const res = await api('POST', `/integrations/paypal/actions/${name}`, input);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body['result'] as Body;
};
const deliver = async (n: { body: string; headers: Record<string, string> }) => {
  const res = await fetch(`${hub.url}/v1/hooks/paypal/${org.id}`, { method: 'POST', headers: n.headers, body: n.body });
  return { status: res.status, body: (await res.json()) as Body };
};
async function until<T>(what: () => Promise<T> | T, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
async function issuedInvoice(customerId: string, unitPrice: number): Promise<Body> {
  const draft = await api('POST', '/invoices', { customerId, lines: [{ description: 'Consulting', quantity: '1', unitPrice }] });
  expect(draft.status).toBe(201);
  const issued = await api('POST', `/invoices/${draft.body['id']}/issue`, {});
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  return issued.body;
}
const postings = async (entryId: string): Promise<string[]> =>
  ((await api('GET', `/journal-entries/${entryId}`)).body['lines'] as Body[]).map((l) => `${l['direction']} ${l['accountCode']} ${l['amount']}`).sort();

beforeAll(async () => {
  pp = await startPayPalEmulator();
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  hub = await startHub(loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...queues.hub,
    HUB_ADMIN_TOKEN: 'paypal-e2e-admin', WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent', DATA_DIR: dataDir,
  }), silent);
  const created = await call('POST', '/v1/organizations', { name: `PayPal E2E ${suffix}` }, 'paypal-e2e-admin');
  org = { id: created.body['id'], apiKey: created.body['apiKey'] };
  consumer = amqp.createConsumer({ queue: queues.events, queueOptions: { exclusive: true }, queueBindings: [{ exchange: 'uah.events', routingKey: `${org.id}.#` }] }, async (msg) => {
    received.push((Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString()) : msg.body) as Event);
  });
  await new Promise<void>((resolve, reject) => {
    consumer?.once('ready', () => resolve());
    consumer?.once('error', reject);
  });
  // Connectors load in the background at start.
  await until(() => call('GET', '/v1/connectors'), (r) => r.body['data']?.some((c: Body) => c['id'] === 'paypal' && c['available']), 60_000);
}, 120_000);

afterAll(async () => {
  await consumer?.close();
  await hub?.stop();
  await amqp.close();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await pp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PayPal through the hub, on PostgreSQL and RabbitMQ', () => {
  let customerId: string;
  let invoice: Body;
  let paymentId: string;
  let captureId: string;

  it('is enabled through the marketplace API, its credentials checked against PayPal', async () => {
    const credentials = { clientId: pp.clientId, clientSecret: pp.clientSecret, webhookId: pp.webhookId, environment: 'sandbox' };
    const wrong = await api('PUT', '/integrations/paypal', { credentials: { ...credentials, clientSecret: 'wrong-secret-value' }, config: { baseUrl: pp.url } });
    // PayPal's token endpoint refuses them: answered as the provider's refusal, and nothing is enabled.
    expect(wrong).toMatchObject({ status: 502, body: { code: 'PROVIDER_ERROR', source: 'provider', providerStatus: 401 } });
    expect((await api('GET', '/integrations/paypal/status')).status).toBe(404);
    const put = await api('PUT', '/integrations/paypal', { credentials, config: { baseUrl: pp.url } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(pp.clientSecret);
  });

  it('creates an order for an issued invoice, captures it, and books the payment with fee and net', async () => {
    customerId = (await api('POST', '/customers', { businessName: 'Payer Co', email: 'payer@example.com' })).body['id'];
    invoice = await issuedInvoice(customerId, 25_000);
    const order = await action('create_order', { invoiceId: invoice['id'], returnUrl: 'https://shop.example/paid', cancelUrl: 'https://shop.example/cancel' });
    expect(order).toMatchObject({ status: 'PAYER_ACTION_REQUIRED', approvalUrl: expect.stringContaining(order['id']), amount: 25_000 });
    expect(pp.orders.get(order['id'])?.request.purchase_units[0]).toMatchObject({ invoice_id: invoice['id'], custom_id: customerId, amount: { currency_code: 'USD', value: '250.00' } });
    pp.approve(order['id']);
    const captured = await action('capture_order', { orderId: order['id'] });
    const fee = Math.round((25_000 * 349) / 10_000) + 49;
    expect(captured['captures']).toMatchObject([{ captureStatus: 'COMPLETED', paymentStatus: 'COMPLETED', amount: 25_000, fees: fee, net: 25_000 - fee }]);
    paymentId = captured['captures'][0]['paymentId'];
    captureId = captured['captures'][0]['captureId'];
    const payment = (await api('GET', `/payments/${paymentId}`)).body;
    expect(payment).toMatchObject({ status: 'COMPLETED', method: 'PAYPAL', amount: 25_000, fees: fee, net: 25_000 - fee, reference: captureId, depositAccount: 'payment_clearing' });
    // Dr payment clearing (net), Dr processing fees, Cr receivables.
    expect(await postings(payment['journalEntryId'])).toEqual([`CREDIT 1100 25000`, `DEBIT 1050 ${25_000 - fee}`, `DEBIT 6100 ${fee}`].sort());
    expect((await api('GET', `/invoices/${invoice['id']}`)).body).toMatchObject({ status: 'PAID', balance: 0, amountPaid: 25_000 });
    const events = await until(() => received, (r) => r.some((e) => e.type === 'invoice.paid' && e.aggregateId === invoice['id']) && r.some((e) => e.type === 'payment.succeeded'));
    expect(events.find((e) => e.type === 'payment.succeeded' && e.aggregateId === paymentId)).toBeDefined();
    expect(events.find((e) => e.type === 'invoice.paid' && e.aggregateId === invoice['id'])).toBeDefined();
  });

  it('takes the completion webhook, verified with PayPal, once: the payment is already booked', async () => {
    const notification = pp.notification('PAYMENT.CAPTURE.COMPLETED', pp.captureResource(captureId));
    const first = await deliver(notification);
    expect(first).toMatchObject({ status: 200, body: { paymentId, status: 'COMPLETED' } });
    expect(await deliver(notification)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    const payments = (await api('GET', `/payments?invoiceId=${invoice['id']}`)).body['data'] as Body[];
    expect(payments.map((p) => p['id'])).toEqual([paymentId]);
    expect(pp.received.filter((r) => r === 'POST /v1/notifications/verify-webhook-signature').length).toBeGreaterThanOrEqual(2);
  });

  it('answers 400 to a notification PayPal does not verify, and changes nothing', async () => {
    const before = (await api('GET', `/payments/${paymentId}`)).body;
    pp.forceVerification = 'FAILURE';
    try {
      const forged = await deliver(pp.notification('PAYMENT.CAPTURE.REFUNDED', pp.refund(captureId, 5_000)));
      expect(forged.status).toBe(400);
      expect(forged.body['code']).toBe('WEBHOOK_VERIFICATION_FAILED');
    } finally {
      pp.forceVerification = undefined;
    }
    expect((await api('GET', `/payments/${paymentId}`)).body).toEqual(before);
    expect((await api('GET', `/invoices/${invoice['id']}`)).body['status']).toBe('PAID');
  });

  it('books a refund and then a dispute from their webhooks', async () => {
    const refund = await deliver(pp.notification('PAYMENT.CAPTURE.REFUNDED', pp.refund(captureId, 5_000)));
    expect(refund, JSON.stringify(refund.body)).toMatchObject({ status: 200, body: { paymentId, status: 'COMPLETED' } });
    expect((await api('GET', `/payments/${paymentId}`)).body).toMatchObject({ amountRefunded: 5_000, status: 'COMPLETED' });
    expect((await api('GET', `/invoices/${invoice['id']}`)).body).toMatchObject({ status: 'PARTIALLY_PAID', balance: 5_000 });
    const dispute = await deliver(pp.notification('CUSTOMER.DISPUTE.CREATED', pp.dispute(captureId, 'UNAUTHORISED', 20_000)));
    expect(dispute).toMatchObject({ status: 200, body: { paymentId, status: 'DISPUTED' } });
    expect((await api('GET', `/payments/${paymentId}`)).body).toMatchObject({ status: 'DISPUTED', dispute: { amount: 20_000, reason: 'FRAUDULENT', status: 'OPEN' } });
    const events = await until(() => received, (r) => r.some((e) => e.type === 'payment.disputed'));
    const refunded = events.find((e) => e.type === 'payment.refunded' && e.aggregateId === paymentId);
    expect(refunded?.metadata).toMatchObject({ source: 'WEBHOOK' });
    expect(events.find((e) => e.type === 'payment.disputed' && e.aggregateId === paymentId)).toBeDefined();
  });

  it('keeps a PayPal-reviewed capture pending, then fails it on PAYMENT.CAPTURE.DENIED; a late completion changes nothing', async () => {
    const second = await issuedInvoice(customerId, 8_000);
    const order = await action('create_order', { invoiceId: second['id'], returnUrl: 'https://shop.example/paid', cancelUrl: 'https://shop.example/cancel' });
    pp.approve(order['id']);
    pp.nextCaptureStatus = 'PENDING';
    const captured = await action('capture_order', { orderId: order['id'] });
    pp.nextCaptureStatus = 'COMPLETED';
    const pending = captured['captures'][0];
    expect(pending).toMatchObject({ captureStatus: 'PENDING', paymentStatus: 'PENDING' });
    const pendingCompletion = pp.notification('PAYMENT.CAPTURE.COMPLETED', { ...pp.captureResource(pending['captureId']), status: 'COMPLETED' });
    pp.settle(pending['captureId'], 'DECLINED');
    expect((await deliver(pp.notification('PAYMENT.CAPTURE.DENIED', pp.captureResource(pending['captureId'])))).body).toMatchObject({ status: 'FAILED' });
    expect((await deliver(pendingCompletion)).body).toMatchObject({ status: 'FAILED' });
    expect((await api('GET', `/payments/${pending['paymentId']}`)).body).toMatchObject({ status: 'FAILED', journalEntryId: null });
    expect((await api('GET', `/invoices/${second['id']}`)).body).toMatchObject({ balance: 8_000 });
    // Everything the connector sent PayPal and everything the emulator answered conforms to PayPal's descriptions.
    expect(pp.problems).toEqual([]);
  });
});
