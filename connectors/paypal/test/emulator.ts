import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { schemaProblems, type PayPalApi } from './openapi.js';
import { captureJson, debugId, disputeJson, ERRORS, feeOf, minorOf, orderJson, paypalId, refundJson, type CaptureStatus, type StoredCapture, type StoredOrder } from './paypal-objects.js';

/** A failure the emulator serves to the next request matching `path` (a substring of `METHOD /path`). */
export type Fault = { status: 429; retryAfterSeconds: number } | { status: 500; afterProcessing?: boolean } | { hangMs: number };

export interface PayPalEmulator {
  url: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  orders: Map<string, StoredOrder>;
  captures: Map<string, StoredCapture>;
  /** `METHOD /path` of every request received. */
  received: string[];
  /** What failed validation against PayPal's OpenAPI descriptions: requests received and answers given. */
  problems: string[];
  tokensIssued: number;
  /** Lifetime of the next tokens, in seconds. @default 32400 (PayPal's nine hours) */
  tokenLifetimeSeconds: number;
  /** The state of the next capture: COMPLETED, PENDING (PayPal reviews it), or DECLINED. */
  nextCaptureStatus: CaptureStatus;
  /** Every verification answers this when set (a signature PayPal no longer accepts). */
  forceVerification: 'SUCCESS' | 'FAILURE' | undefined;
  fail(path: string, fault: Fault): void;
  /** PayPal stops taking every token issued so far (a rotated secret, a revoked app). */
  revokeTokens(): void;
  /** The payer approves the order at PayPal. */
  approve(orderId: string): void;
  /** PayPal completes or denies a PENDING capture. */
  settle(captureId: string, status: 'COMPLETED' | 'DECLINED'): void;
  refund(captureId: string, amount?: number): Record<string, unknown>;
  dispute(captureId: string, reason: string, amount?: number): Record<string, unknown>;
  captureResource(captureId: string): Record<string, unknown>;
  /** A webhook notification as PayPal posts it: the body and its transmission headers, signed. */
  notification(eventType: string, resource: Record<string, unknown>, eventId?: string): { body: string; headers: Record<string, string> };
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const RESPONSE_SCHEMA: Record<string, [PayPalApi, string]> = {
  order: ['checkout_orders_v2', 'order'], capture: ['payments_payment_v2', 'capture-2'], verify: ['notifications_webhooks_v1', 'verify_webhook_signature_response'], webhook: ['notifications_webhooks_v1', 'webhook'], error: ['notifications_webhooks_v1', 'error'],
  400: ['checkout_orders_v2', 'error_400'], 401: ['checkout_orders_v2', 'error_401'], 404: ['checkout_orders_v2', 'error_404'], 422: ['checkout_orders_v2', 'error_422'], 500: ['checkout_orders_v2', 'error_500'], 429: ['notifications_webhooks_v1', 'error'],
};
const EVENT_RESOURCE: Record<string, [PayPalApi, string] | undefined> = {
  'PAYMENT.CAPTURE.COMPLETED': ['payments_payment_v2', 'capture-2'], 'PAYMENT.CAPTURE.DENIED': ['payments_payment_v2', 'capture-2'], 'PAYMENT.CAPTURE.PENDING': ['payments_payment_v2', 'capture-2'], 'PAYMENT.CAPTURE.REFUNDED': ['payments_payment_v2', 'refund'],
};

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPayPalEmulator(): Promise<PayPalEmulator> {
  const signingKey = randomUUID();
  const tokens = new Map<string, number>();
  const replies = new Map<string, Reply>();
  const faults: Array<{ path: string; fault: Fault }> = [];
  const now = (): string => new Date().toISOString();
  let base = '';

  // PayPal signs `id|time|webhook id|crc32(body)` with its RSA key; the emulator uses an HMAC of the same
  // string, in hex so that it always fits the description's `transmission_sig` pattern.
  const sign = (transmissionId: string, time: string, webhookId: string, body: string): string =>
    createHmac('sha256', signingKey).update(`${transmissionId}|${time}|${webhookId}|${crc32(Buffer.from(body))}`).digest('hex');

  const emulator: PayPalEmulator = {
    url: '', clientId: `AX${paypalId()}client`, clientSecret: `EL${paypalId()}secret`, webhookId: paypalId(),
    orders: new Map(), captures: new Map(), received: [], problems: [], tokensIssued: 0, tokenLifetimeSeconds: 32_400, nextCaptureStatus: 'COMPLETED', forceVerification: undefined,
    fail: (path, fault) => void faults.push({ path, fault }),
    revokeTokens: () => tokens.clear(),
    approve(orderId) {
      const order = emulator.orders.get(orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      order.status = 'APPROVED';
    },
    settle(captureId, status) {
      const capture = emulator.captures.get(captureId);
      if (!capture) throw new Error(`no capture ${captureId}`);
      Object.assign(capture, { status, updateTime: now() });
    },
    refund(captureId, amount) {
      const capture = emulator.captures.get(captureId);
      if (!capture) throw new Error(`no capture ${captureId}`);
      const refunded = amount ?? capture.amount - capture.refunded;
      capture.refunded += refunded;
      Object.assign(capture, { status: capture.refunded >= capture.amount ? 'REFUNDED' : 'PARTIALLY_REFUNDED', updateTime: now() });
      return refundJson(base, paypalId(), capture, refunded);
    },
    dispute(captureId, reason, amount) {
      const capture = emulator.captures.get(captureId);
      if (!capture) throw new Error(`no capture ${captureId}`);
      return disputeJson(capture, reason, amount ?? capture.amount);
    },
    captureResource(captureId) {
      const capture = emulator.captures.get(captureId);
      if (!capture) throw new Error(`no capture ${captureId}`);
      return captureJson(base, capture);
    },
    notification(eventType, resource, eventId = `WH-${paypalId()}`) {
      const schema = EVENT_RESOURCE[eventType];
      if (schema) emulator.problems.push(...schemaProblems(schema[0], schema[1], resource));
      const event = { id: eventId, create_time: now(), resource_type: eventType.startsWith('CUSTOMER.DISPUTE') ? 'dispute' : eventType.endsWith('REFUNDED') ? 'refund' : 'capture', event_type: eventType, summary: eventType, resource, event_version: '1.0', resource_version: '2.0', links: [{ href: `${base}/v1/notifications/webhooks-events/${eventId}`, rel: 'self', method: 'GET' }] };
      emulator.problems.push(...schemaProblems('notifications_webhooks_v1', 'event', event));
      const body = JSON.stringify(event);
      const transmissionId = randomUUID();
      const time = now();
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'paypal-auth-algo': 'SHA256withRSA',
          'paypal-cert-url': `${base}/v1/notifications/certs/CERT-360caa42-fca2a594-${emulator.webhookId.toLowerCase()}`,
          'paypal-transmission-id': transmissionId,
          'paypal-transmission-sig': sign(transmissionId, time, emulator.webhookId, body),
          'paypal-transmission-time': time,
        },
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  /** An answer, checked against PayPal's description of it. */
  function reply(status: number, body: unknown, schema?: string, headers: Record<string, string> = {}): Reply {
    const described = RESPONSE_SCHEMA[schema ?? String(status)];
    if (described && body !== undefined) emulator.problems.push(...schemaProblems(described[0], described[1], body).map((p) => `answer ${p}`));
    return { status, body, headers };
  }
  const write = (res: ServerResponse, r: Reply): void =>
    void res.writeHead(r.status, { 'content-type': 'application/json', 'paypal-debug-id': debugId(), ...r.headers }).end(r.body === undefined ? '' : JSON.stringify(r.body));

  function checkRequest(api: PayPalApi, schema: string, body: unknown): string[] {
    const problems = schemaProblems(api, schema, body);
    emulator.problems.push(...problems.map((p) => `request ${p}`));
    return problems;
  }

  function token(req: IncomingMessage, text: string): Reply {
    const expected = `Basic ${Buffer.from(`${emulator.clientId}:${emulator.clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return reply(401, { error: 'invalid_client', error_description: 'Client Authentication failed' }, 'token');
    if (new URLSearchParams(text).get('grant_type') !== 'client_credentials') return reply(400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' }, 'token');
    const accessToken = `A21AA${paypalId()}${paypalId()}`;
    tokens.set(accessToken, Date.now() + emulator.tokenLifetimeSeconds * 1000);
    emulator.tokensIssued += 1;
    return reply(200, { scope: 'https://uri.paypal.com/services/payments/payment', access_token: accessToken, token_type: 'Bearer', app_id: 'APP-80W284485P519543T', expires_in: emulator.tokenLifetimeSeconds, nonce: `${now()}${paypalId()}` }, 'token');
  }

  function createOrder(body: unknown): Reply {
    const invalid = checkRequest('checkout_orders_v2', 'order_request', body);
    if (invalid.length) return reply(400, ERRORS[400](invalid.map((p) => ({ issue: 'INVALID_PARAMETER_SYNTAX', description: p }))));
    const request = body as StoredOrder['request'];
    const order: StoredOrder = { id: paypalId(), status: 'PAYER_ACTION_REQUIRED', request, captureIds: [], createTime: now() };
    emulator.orders.set(order.id, order);
    return reply(200, orderJson(base, order, []), 'order');
  }

  function captureOrder(orderId: string, body: unknown): Reply {
    if (body !== undefined) checkRequest('checkout_orders_v2', 'order_capture_request', body);
    const order = emulator.orders.get(orderId);
    if (!order) return reply(404, ERRORS[404]());
    if (order.status === 'COMPLETED') return reply(422, ERRORS[422]('ORDER_ALREADY_CAPTURED', 'Order already captured.If \'intent=CAPTURE\' only one capture per order is allowed.'));
    if (order.status !== 'APPROVED') return reply(422, ERRORS[422]('ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.'));
    const unit = order.request.purchase_units[0]!;
    const amount = minorOf(unit.amount);
    const status = emulator.nextCaptureStatus;
    const capture: StoredCapture = { id: paypalId(), orderId, status, amount, currency: unit.amount.currency_code, fee: feeOf(amount), refunded: 0, createTime: now(), updateTime: now(), ...(typeof unit['invoice_id'] === 'string' ? { invoiceId: unit['invoice_id'] } : {}), ...(typeof unit['custom_id'] === 'string' ? { customId: unit['custom_id'] } : {}) };
    emulator.captures.set(capture.id, capture);
    order.captureIds.push(capture.id);
    order.status = 'COMPLETED';
    return reply(201, orderJson(base, order, [capture]), 'order');
  }

  function verify(body: unknown): Reply {
    checkRequest('notifications_webhooks_v1', 'verify_webhook_signature', body);
    const b = body as { transmission_id: string; transmission_time: string; transmission_sig: string; webhook_id: string; webhook_event: unknown };
    const genuine = b.webhook_id === emulator.webhookId && b.transmission_sig === sign(b.transmission_id, b.transmission_time, b.webhook_id, JSON.stringify(b.webhook_event));
    return reply(200, { verification_status: emulator.forceVerification ?? (genuine ? 'SUCCESS' : 'FAILURE') }, 'verify');
  }

  function route(req: IncomingMessage, path: string, text: string): Reply {
    if (path === '/v1/oauth2/token' && req.method === 'POST') return token(req, text);
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if ((tokens.get(bearer) ?? 0) < Date.now()) return reply(401, ERRORS[401]());
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    let m: RegExpExecArray | null;
    if (path === '/v2/checkout/orders' && req.method === 'POST') return createOrder(body);
    if ((m = /^\/v2\/checkout\/orders\/([A-Z0-9]+)\/capture$/.exec(path)) && req.method === 'POST') return captureOrder(m[1]!, body);
    if ((m = /^\/v2\/checkout\/orders\/([A-Z0-9]+)$/.exec(path)) && req.method === 'GET') {
      const order = emulator.orders.get(m[1]!);
      return order ? reply(200, orderJson(base, order, order.captureIds.map((id) => emulator.captures.get(id)!)), 'order') : reply(404, ERRORS[404]());
    }
    if ((m = /^\/v2\/payments\/captures\/([A-Z0-9]+)$/.exec(path)) && req.method === 'GET') {
      const capture = emulator.captures.get(m[1]!);
      return capture ? reply(200, captureJson(base, capture), 'capture') : reply(404, ERRORS[404]());
    }
    if (path === '/v1/notifications/verify-webhook-signature' && req.method === 'POST') return verify(body);
    if ((m = /^\/v1\/notifications\/webhooks\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      if (m[1] !== emulator.webhookId) return reply(404, { name: 'INVALID_RESOURCE_ID', message: 'Resource id is invalid.', debug_id: debugId(), details: [] }, 'error');
      const events = ['PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.DENIED', 'PAYMENT.CAPTURE.REFUNDED', 'CUSTOMER.DISPUTE.CREATED'];
      return reply(200, { id: m[1], url: 'https://hub.example/v1/hooks/paypal/org_1', event_types: events.map((name) => ({ name, description: name, status: 'ENABLED' })), links: [{ href: `${base}/v1/notifications/webhooks/${m[1]}`, rel: 'self', method: 'GET' }] }, 'webhook');
    }
    return reply(404, ERRORS[404]());
  }

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const line = `${req.method} ${path}`;
      emulator.received.push(line);
      const text = await readText(req);
      const at = faults.findIndex((f) => line.includes(f.path));
      const fault = at >= 0 ? faults.splice(at, 1)[0]!.fault : undefined;
      if (fault && 'hangMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.hangMs));
      if (fault && 'status' in fault && fault.status === 429) return write(res, reply(429, ERRORS[429](), undefined, { 'retry-after': String(fault.retryAfterSeconds) }));
      if (fault && 'status' in fault && !fault.afterProcessing) return write(res, reply(500, ERRORS[500]()));
      // PayPal-Request-Id: the same id gets the first answer again, without doing anything twice.
      const requestId = req.headers['paypal-request-id'];
      const replayKey = typeof requestId === 'string' ? `${line} ${requestId}` : undefined;
      const replay = replayKey ? replies.get(replayKey) : undefined;
      if (replay) return write(res, replay);
      const answer = route(req, path, text);
      if (replayKey && answer.status < 300) replies.set(replayKey, answer);
      // A fault after processing: the work is done, the answer is lost on the way.
      write(res, fault && 'status' in fault ? reply(500, ERRORS[500]()) : answer);
    })().catch((error: unknown) => {
      emulator.problems.push(`emulator crashed: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.url = base;
  return emulator;
}
