import { randomBytes } from 'node:crypto';

/** How PayPal spells ids: 17 upper-case letters and digits for orders, captures and refunds. */
export const paypalId = (): string => Array.from(randomBytes(17), (b) => 'ABCDEFGHJKLMNPRSTUVWXY0123456789'[b % 31]).join('');
export const debugId = (): string => randomBytes(7).toString('hex').slice(0, 13);

const DECIMALS: Record<string, number> = { JPY: 0, HUF: 0, TWD: 0 };
/** Minor units as PayPal's money object (the emulator's own, independent of the connector's). */
export const money = (minor: number, currency: string): { currency_code: string; value: string } => {
  const decimals = DECIMALS[currency] ?? 2;
  const text = decimals === 0 ? String(minor) : `${Math.trunc(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
  return { currency_code: currency, value: text };
};
export const minorOf = (m: { currency_code: string; value: string }): number => Math.round(Number(m.value) * 10 ** (DECIMALS[m.currency_code] ?? 2));

/** PayPal's fee for a domestic PayPal checkout: 3.49 % + 0.49 (in the currency's minor units). */
export const feeOf = (minor: number): number => Math.round((minor * 349) / 10_000) + 49;

/** PayPal's error body, `{ name, message, debug_id, details, links }`. */
export function errorBody(name: string, message: string, details: Array<{ issue: string; description: string; field?: string }> = []): Record<string, unknown> {
  return { name, message, debug_id: debugId(), ...(details.length ? { details } : {}), links: [{ href: `https://developer.paypal.com/docs/api/orders/v2/#error-${details[0]?.issue ?? name}`, rel: 'information_link', method: 'GET' }] };
}

export const ERRORS = {
  400: (details: Array<{ issue: string; description: string; field?: string }>) => errorBody('INVALID_REQUEST', 'Request is not well-formed, syntactically incorrect, or violates schema.', details),
  401: () => errorBody('AUTHENTICATION_FAILURE', 'Authentication failed due to missing authorization header, or invalid authentication credentials.'),
  404: () => errorBody('RESOURCE_NOT_FOUND', 'The specified resource does not exist.', [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }]),
  422: (issue: string, description: string) => errorBody('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue, description }]),
  429: () => errorBody('RATE_LIMIT_REACHED', 'Too many requests. Blocked due to rate limiting.'),
  500: () => errorBody('INTERNAL_SERVER_ERROR', 'An internal server error occurred.'),
} as const;

export type CaptureStatus = 'COMPLETED' | 'PENDING' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'REFUNDED';

export interface StoredOrder {
  id: string;
  status: 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED';
  request: { intent: string; purchase_units: Array<Record<string, unknown> & { amount: { currency_code: string; value: string } }> };
  captureIds: string[];
  createTime: string;
}

export interface StoredCapture {
  id: string;
  orderId: string;
  status: CaptureStatus;
  amount: number;
  currency: string;
  fee: number;
  refunded: number;
  invoiceId?: string;
  customId?: string;
  createTime: string;
  updateTime: string;
}

/** A capture as payments v2 answers it (`capture-2`). */
export function captureJson(base: string, c: StoredCapture): Record<string, unknown> {
  const settled = c.status !== 'PENDING' && c.status !== 'DECLINED';
  return {
    id: c.id,
    status: c.status,
    ...(c.status === 'PENDING' ? { status_details: { reason: 'PENDING_REVIEW' } } : {}),
    amount: money(c.amount, c.currency),
    final_capture: true,
    seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
    ...(settled ? { seller_receivable_breakdown: { gross_amount: money(c.amount, c.currency), paypal_fee: money(c.fee, c.currency), net_amount: money(c.amount - c.fee, c.currency) } } : {}),
    ...(c.invoiceId ? { invoice_id: c.invoiceId } : {}),
    ...(c.customId ? { custom_id: c.customId } : {}),
    supplementary_data: { related_ids: { order_id: c.orderId } },
    links: [
      { href: `${base}/v2/payments/captures/${c.id}`, rel: 'self', method: 'GET' },
      { href: `${base}/v2/payments/captures/${c.id}/refund`, rel: 'refund', method: 'POST' },
      { href: `${base}/v2/checkout/orders/${c.orderId}`, rel: 'up', method: 'GET' },
    ],
    create_time: c.createTime,
    update_time: c.updateTime,
  };
}

/** An order as checkout orders v2 answers it (`order`). */
export function orderJson(base: string, o: StoredOrder, captures: StoredCapture[]): Record<string, unknown> {
  const links = [{ href: `${base}/v2/checkout/orders/${o.id}`, rel: 'self', method: 'GET' }];
  if (o.status === 'PAYER_ACTION_REQUIRED') links.push({ href: `https://www.sandbox.paypal.com/checkoutnow?token=${o.id}`, rel: 'payer-action', method: 'GET' });
  if (o.status === 'APPROVED') links.push({ href: `${base}/v2/checkout/orders/${o.id}/capture`, rel: 'capture', method: 'POST' });
  return {
    id: o.id,
    intent: o.request.intent,
    status: o.status,
    payment_source: { paypal: {} },
    purchase_units: o.request.purchase_units.map((unit) => ({
      ...unit,
      ...(captures.length ? { payments: { captures: captures.map((c) => captureJson(base, c)) } } : {}),
    })),
    create_time: o.createTime,
    links,
  };
}

/** A refund as payments v2 answers it (`refund`), as PAYMENT.CAPTURE.REFUNDED carries it. */
export function refundJson(base: string, id: string, c: StoredCapture, amount: number): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id,
    amount: money(amount, c.currency),
    ...(c.invoiceId ? { invoice_id: c.invoiceId } : {}),
    ...(c.customId ? { custom_id: c.customId } : {}),
    status: 'COMPLETED',
    seller_payable_breakdown: { gross_amount: money(amount, c.currency), paypal_fee: money(0, c.currency), net_amount: money(amount, c.currency), total_refunded_amount: money(c.refunded, c.currency) },
    links: [
      { href: `${base}/v2/payments/refunds/${id}`, rel: 'self', method: 'GET' },
      { href: `${base}/v2/payments/captures/${c.id}`, rel: 'up', method: 'GET' },
    ],
    create_time: now,
    update_time: now,
  };
}

/** A dispute as CUSTOMER.DISPUTE.CREATED carries it (customer disputes v1; that description is not among the fixtures). */
export function disputeJson(c: StoredCapture, reason: string, amount: number): Record<string, unknown> {
  const now = new Date();
  return {
    dispute_id: `PP-D-${Math.floor(10_000 + Math.random() * 89_999)}`,
    create_time: now.toISOString(),
    update_time: now.toISOString(),
    disputed_transactions: [{ seller_transaction_id: c.id, ...(c.invoiceId ? { invoice_number: c.invoiceId } : {}), gross_amount: money(c.amount, c.currency) }],
    reason,
    status: 'OPEN',
    dispute_amount: money(amount, c.currency),
    dispute_life_cycle_stage: 'INQUIRY',
    dispute_channel: 'INTERNAL',
    seller_response_due_date: new Date(now.getTime() + 20 * 86_400_000).toISOString(),
  };
}
