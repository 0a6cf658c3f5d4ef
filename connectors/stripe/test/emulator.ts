import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { amountProblem, build, feeOf, list, now, stripeId, type StripeObject } from './stripe-objects.js';

/**
 * A local emulator of the parts of Stripe's API the connector uses, for the official `stripe` client
 * pointed at it (`host`, `port`, `protocol: 'http'`): form-encoded bodies with Stripe's bracket keys,
 * `expand[]`, `created[gte|lte]` and `starting_after` lists, Idempotency-Key replays, Stripe's error
 * envelope `{ error: { type, code, message } }` (400, 401, 402, 404, 429 with Retry-After, 500), and the
 * events Stripe would send, which tests sign and deliver (duplicated or out of order as they like).
 */
export interface StripeEmulator {
  url: string;
  /** Every request: method, path with query, the Idempotency-Key and the decoded form. */
  received: Array<{ method: string; path: string; idempotencyKey: string | undefined; form: Record<string, unknown> }>;
  /** Events in the order Stripe emitted them. */
  events: StripeObject[];
  objects: Map<string, StripeObject>;
  /** The next `times` requests (optionally only those whose path starts with `path`) fail with `status`. */
  failNext(fault: { status: 429 | 500; times?: number; retryAfter?: number; path?: string }): void;
  /** The customer pays: `pm_card_visa` succeeds, `pm_card_chargeDeclined` is declined (402), `pm_processing` stays processing. */
  confirm(intentId: string, paymentMethod?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A processing intent's payment clears. */
  succeed(intentId: string): StripeObject;
  refund(chargeId: string, amount?: number): StripeObject;
  dispute(chargeId: string, reason?: string): StripeObject;
  /** Stripe decides the dispute: `won` returns the funds (a balance transaction), `lost` keeps them withdrawn. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): StripeObject;
  /** Pays out every balance transaction not yet paid out: `in_transit`, then `paid` with `paid: true`. */
  payout(options?: { paid?: boolean }): StripeObject;
  /** The event as Stripe posts it: its exact body and a `Stripe-Signature` header for `secret` (at `timestamp`, default now). */
  signed(event: StripeObject, secret: string, timestamp?: number): { body: string; signature: string };
  close(): Promise<void>;
}

type Form = Record<string, unknown>;
/** A form field as text (Stripe's forms carry only strings at the leaves). */
const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
/** The emulator's own bookkeeping fields (`__payout`) never leave it. */
const json = (value: unknown, space?: number): string => JSON.stringify(value, (k, v: unknown) => (k.startsWith('__') ? undefined : v), space);

/** `a[b][0]=x` → `{ a: { b: ['x'] } }`, as Stripe reads its form bodies and query strings. */
export function parseForm(text: string): Form {
  const root: Form = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Form;
    });
  }
  const arrays = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Form).map(([k, x]) => [k, arrays(x)] as const);
    return entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k)) ? entries.map(([, x]) => x) : Object.fromEntries(entries);
  };
  return arrays(root) as Form;
}

class StripeFailure extends Error {
  constructor(readonly status: number, readonly type: string, readonly code: string | null, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
const invalid = (message: string, code = 'parameter_invalid_integer', param?: string): StripeFailure => new StripeFailure(400, 'invalid_request_error', code, message, param ? { param } : {});
const missing = (id: string): StripeFailure => new StripeFailure(404, 'invalid_request_error', 'resource_missing', `No such object: '${id}'`, { param: 'id' });

export async function startStripeEmulator(secretKey: string): Promise<StripeEmulator> {
  const objects = new Map<string, StripeObject>();
  const events: StripeObject[] = [];
  const received: StripeEmulator['received'] = [];
  const faults: Array<{ status: 429 | 500; times: number; retryAfter: number; path?: string }> = [];
  const replays = new Map<string, { hash: string; status: number; body: unknown }>();
  const paidOut = new Set<string>();
  const signer = new Stripe('sk_test_emulator_signer', { telemetry: false });

  const get = (id: string, object?: string): StripeObject => {
    const found = objects.get(id);
    if (!found || (object && found.object !== object)) throw missing(id);
    return found;
  };
  const put = (o: StripeObject): StripeObject => (objects.set(o.id, o), o);
  const emit = (type: string, object: StripeObject): StripeObject => {
    const event = build('event', { id: stripeId('evt'), type, api_version: '2025-01-27.acacia', data: { object: structuredClone(object) }, pending_webhooks: 1, request: { id: null, idempotency_key: null } });
    events.push(event);
    return event;
  };
  /** `expand[]` of a retrieved object (`balance_transaction`) or of a list's items (`data.balance_transaction`). */
  const expand = (o: StripeObject, fields: string[]): StripeObject => {
    const out = { ...o };
    for (const f of fields) if (typeof out[f] === 'string' && objects.has(out[f])) out[f] = objects.get(out[f]);
    return out;
  };
  const expansions = (form: Form, prefix = ''): string[] => ((form['expand'] as string[] | undefined) ?? []).filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));

  function listOf(path: string, object: string, form: Form, keep: (o: StripeObject) => boolean = () => true): Record<string, unknown> {
    const created = (form['created'] ?? {}) as { gte?: string; lte?: string };
    const all = [...objects.values()]
      .filter((o) => o.object === object && keep(o))
      .filter((o) => (created.gte === undefined || (o['created'] as number) >= Number(created.gte)) && (created.lte === undefined || (o['created'] as number) <= Number(created.lte)))
      .reverse(); // newest first, as Stripe lists
    const after = form['starting_after'] as string | undefined;
    const start = after ? all.findIndex((o) => o.id === after) + 1 : 0;
    const limit = Math.min(Number(form['limit'] ?? 10), 100);
    const page = all.slice(start, start + limit).map((o) => expand(o, expansions(form, 'data.')));
    return list(path, page, start + limit < all.length);
  }

  function balanceTransaction(source: string, type: string, amount: number, currency: string, fee: number, description: string): StripeObject {
    return put(build('balance_transaction', { id: stripeId('txn'), amount, currency, fee, fee_details: fee ? [{ amount: fee, currency, description: 'Stripe processing fees', type: 'stripe_fee', application: null }] : [], net: amount - fee, source, type, reporting_category: type === 'charge' ? 'charge' : type, status: 'available', available_on: now(), description, exchange_rate: null }));
  }

  function charge(intent: StripeObject, outcome: 'succeeded' | 'failed'): StripeObject {
    const id = stripeId('ch');
    const amount = intent['amount'] as number;
    const currency = intent['currency'] as string;
    const txn = outcome === 'succeeded' ? balanceTransaction(id, 'charge', amount, currency, feeOf(amount, currency), `Payment for ${intent.id}`).id : null;
    return put(build('charge', {
      id, amount, amount_captured: outcome === 'succeeded' ? amount : 0, amount_refunded: 0, currency, customer: intent['customer'], payment_intent: intent.id, balance_transaction: txn,
      status: outcome, paid: outcome === 'succeeded', captured: outcome === 'succeeded', refunded: false, disputed: false, metadata: {},
      failure_code: outcome === 'failed' ? 'card_declined' : null, failure_message: outcome === 'failed' ? 'Your card was declined.' : null,
      refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    }));
  }

  function succeed(intentId: string): StripeObject {
    const intent = get(intentId, 'payment_intent');
    const ch = charge(intent, 'succeeded');
    Object.assign(intent, { status: 'succeeded', amount_received: intent['amount'], latest_charge: ch.id, last_payment_error: null });
    emit('charge.succeeded', ch);
    return emit('payment_intent.succeeded', intent);
  }

  function confirm(intent: StripeObject, paymentMethod: string): StripeObject {
    if (paymentMethod === 'pm_card_chargeDeclined') {
      const ch = charge(intent, 'failed');
      const error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', charge: ch.id };
      Object.assign(intent, { status: 'requires_payment_method', latest_charge: ch.id, last_payment_error: error, payment_method: null });
      emit('charge.failed', ch);
      emit('payment_intent.payment_failed', intent);
      throw new StripeFailure(402, 'card_error', 'card_declined', 'Your card was declined.', { decline_code: 'generic_decline', payment_intent: structuredClone(intent) });
    }
    Object.assign(intent, { payment_method: paymentMethod });
    if (paymentMethod === 'pm_processing') {
      intent['status'] = 'processing';
      emit('payment_intent.processing', intent);
    } else succeed(intent.id);
    return intent;
  }

  const routes: Array<[string, RegExp, (m: RegExpMatchArray, form: Form, path: string) => unknown]> = [
    ['GET', /^\/v1\/balance$/, () => build('balance', {})],
    ['POST', /^\/v1\/customers$/, (_m, f) => put(build('customer', { id: stripeId('cus'), name: f['name'] ?? null, email: f['email'] ?? null, metadata: f['metadata'] ?? {} }))],
    ['GET', /^\/v1\/customers\/([^/]+)$/, (m) => get(m[1]!, 'customer')],
    ['POST', /^\/v1\/payment_intents$/, (_m, f) => {
      const currency = text(f['currency']);
      if (!currency) throw invalid('Missing required param: currency.', 'parameter_missing', 'currency');
      const amount = Number(f['amount']);
      const problem = amountProblem(amount, currency);
      if (problem) throw invalid(problem, 'amount_invalid', 'amount');
      if (f['customer'] !== undefined) get(text(f['customer']), 'customer');
      const id = stripeId('pi');
      const automatic = (f['automatic_payment_methods'] as Form | undefined)?.['enabled'] === 'true';
      return put(build('payment_intent', {
        id, amount, amount_received: 0, currency, customer: f['customer'] ?? null, metadata: f['metadata'] ?? {}, status: 'requires_payment_method', client_secret: `${id}_secret_${stripeId('x').slice(2)}`,
        payment_method_types: (f['payment_method_types']) ?? ['card'], automatic_payment_methods: automatic ? { enabled: true, allow_redirects: 'always' } : null,
        setup_future_usage: f['setup_future_usage'] ?? null, latest_charge: null, last_payment_error: null, canceled_at: null, payment_method: null, processing: null, next_action: null,
      }));
    }],
    ['GET', /^\/v1\/payment_intents$/, (_m, f, p) => listOf(p, 'payment_intent', f)],
    ['GET', /^\/v1\/payment_intents\/([^/]+)$/, (m) => get(m[1]!, 'payment_intent')],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/confirm$/, (m, f) => confirm(get(m[1]!, 'payment_intent'), text(f['payment_method'], 'pm_card_visa'))],
    ['GET', /^\/v1\/charges$/, (_m, f, p) => listOf(p, 'charge', f)],
    ['GET', /^\/v1\/charges\/([^/]+)$/, (m, f) => expand(get(m[1]!, 'charge'), expansions(f))],
    ['POST', /^\/v1\/refunds$/, (_m, f) => refund(text(f['charge']), f['amount'] === undefined ? undefined : Number(f['amount']))],
    ['GET', /^\/v1\/refunds\/([^/]+)$/, (m) => get(m[1]!, 'refund')],
    ['GET', /^\/v1\/disputes\/([^/]+)$/, (m) => get(m[1]!, 'dispute')],
    ['GET', /^\/v1\/payouts$/, (_m, f, p) => listOf(p, 'payout', f)],
    ['GET', /^\/v1\/payouts\/([^/]+)$/, (m) => get(m[1]!, 'payout')],
    ['GET', /^\/v1\/balance_transactions$/, (_m, f, p) => listOf(p, 'balance_transaction', f, (o) => f['payout'] === undefined || o['__payout'] === f['payout'])],
    ['GET', /^\/v1\/balance_transactions\/([^/]+)$/, (m) => get(m[1]!, 'balance_transaction')],
  ];

  function refund(chargeId: string, amount?: number): StripeObject {
    const ch = get(chargeId, 'charge');
    const refundable = (ch['amount'] as number) - (ch['amount_refunded'] as number);
    const value = amount ?? refundable;
    if (value < 1 || value > refundable) throw invalid(`Refund amount (${value}) is greater than unrefunded amount on charge (${refundable})`, 'amount_too_large', 'amount');
    const id = stripeId('re');
    const txn = balanceTransaction(id, 'refund', -value, ch['currency'] as string, 0, 'REFUND FOR CHARGE');
    const re = put(build('refund', { id, amount: value, charge: ch.id, currency: ch['currency'], payment_intent: ch['payment_intent'], status: 'succeeded', reason: 'requested_by_customer', balance_transaction: txn.id }));
    const refunds = ch['refunds'] as { data: StripeObject[] };
    Object.assign(ch, { amount_refunded: (ch['amount_refunded'] as number) + value, refunded: (ch['amount_refunded'] as number) + value === ch['amount'], refunds: { ...refunds, data: [re, ...refunds.data] } });
    emit('refund.created', re);
    emit('charge.refunded', ch);
    return re;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const form = req.method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(raw);
    const key = req.headers['idempotency-key'] as string | undefined;
    received.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, idempotencyKey: key, form });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req'), ...headers });
      res.end(json(body));
    };
    try {
      if (req.headers.authorization !== `Bearer ${secretKey}`) throw new StripeFailure(401, 'invalid_request_error', 'api_key_invalid', 'Invalid API Key provided.');
      const fault = faults.find((f) => !f.path || url.pathname.startsWith(f.path));
      if (fault) {
        if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        if (fault.status === 429) return send(429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } }, { 'retry-after': String(fault.retryAfter) });
        return send(500, { error: { type: 'api_error', code: null, message: 'An unknown error occurred.' } });
      }
      const hash = createHash('sha256').update(`${req.method} ${url.pathname} ${raw}`).digest('hex');
      const replay = key && req.method === 'POST' ? replays.get(key) : undefined;
      if (replay) {
        if (replay.hash !== hash) throw new StripeFailure(400, 'idempotency_error', null, `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
        return send(replay.status, replay.body, { 'idempotent-replayed': 'true' });
      }
      const route = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname));
      if (!route) throw new StripeFailure(404, 'invalid_request_error', null, `Unrecognized request URL (${req.method}: ${url.pathname}).`);
      const body = route[2](url.pathname.match(route[1])!, form, url.pathname);
      if (key && req.method === 'POST') replays.set(key, { hash, status: 200, body });
      send(200, body);
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      const body = { error: { type: error.type, code: error.code, message: error.message, ...error.extra } };
      if (key && req.method === 'POST' && error.status !== 429) replays.set(key, { hash: createHash('sha256').update(`${req.method} ${url.pathname} ${raw}`).digest('hex'), status: error.status, body });
      send(error.status, body);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(e) } }));
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received, events, objects,
    failNext: ({ status, times = 1, retryAfter = 1, path }) => void faults.push({ status, times, retryAfter, ...(path ? { path } : {}) }),
    async confirm(intentId, paymentMethod = 'pm_card_visa') {
      try {
        return { status: 200, body: confirm(get(intentId, 'payment_intent'), paymentMethod) };
      } catch (error) {
        if (error instanceof StripeFailure) return { status: error.status, body: { error: { type: error.type, code: error.code, message: error.message } } };
        throw error;
      }
    },
    succeed,
    refund,
    dispute(chargeId, reason = 'fraudulent') {
      const ch = get(chargeId, 'charge');
      const amount = (ch['amount'] as number) - (ch['amount_refunded'] as number);
      const id = stripeId('dp');
      const txn = balanceTransaction(id, 'adjustment', -amount, ch['currency'] as string, 1500, `Chargeback withdrawal for ${ch.id}`);
      const dp = put(build('dispute', { id, amount, charge: ch.id, currency: ch['currency'], payment_intent: ch['payment_intent'], reason, status: 'needs_response', balance_transactions: [objects.get(txn.id)], evidence_details: { due_by: now() + 14 * 86_400, has_evidence: false, past_due: false, submission_count: 0, enhanced_eligibility: {} } }));
      ch['disputed'] = true;
      return emit('charge.dispute.created', dp);
    },
    closeDispute(disputeId, outcome) {
      const dp = get(disputeId, 'dispute');
      if (outcome === 'won') balanceTransaction(dp.id, 'adjustment', dp['amount'] as number, dp['currency'] as string, 0, `Chargeback reversal for ${String(dp['charge'])}`);
      dp['status'] = outcome;
      return emit('charge.dispute.closed', dp);
    },
    payout({ paid = true } = {}) {
      const txns = [...objects.values()].filter((o) => o.object === 'balance_transaction' && o['type'] !== 'payout' && !paidOut.has(o.id));
      const currency = (txns[0]?.['currency'] as string | undefined) ?? 'usd';
      const amount = txns.reduce((s, t) => s + (t['net'] as number), 0);
      const id = stripeId('po');
      const own = balanceTransaction(id, 'payout', -amount, currency, 0, 'STRIPE PAYOUT');
      for (const t of txns) {
        t['__payout'] = id;
        paidOut.add(t.id);
      }
      paidOut.add(own.id);
      const po = put(build('payout', { id, amount, currency, arrival_date: now() + 86_400, automatic: true, balance_transaction: own.id, status: 'in_transit', description: 'STRIPE PAYOUT', destination: stripeId('ba'), failure_code: null, failure_message: null }));
      emit('payout.created', po);
      if (!paid) return po;
      po['status'] = 'paid';
      return emit('payout.paid', po);
    },
    signed(event, secret, timestamp = now()) {
      const body = json(event, 2);
      return { body, signature: signer.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
