import type { JsonValue, PaymentCollection, WebhookRequest, WebhookVerification } from '@uah/connector-sdk';
import { MAPPED, recordCapture, settledPayment, type PayPalCapture } from './captures.js';
import { toMinorUnits, type PayPalMoney } from './money.js';
import { paypal, type PayPalContext } from './paypal-client.js';

/** A webhook event notification (notifications webhooks v1 `event`). */
interface PayPalEvent {
  id: string;
  event_type: string;
  resource: Record<string, unknown>;
}
interface PayPalRefund {
  id: string;
  status?: string;
  amount: PayPalMoney;
  invoice_id?: string;
  links?: Array<{ href: string; rel: string }>;
}
interface PayPalDispute {
  dispute_id: string;
  reason?: string;
  dispute_amount?: PayPalMoney;
  seller_response_due_date?: string;
  disputed_transactions?: Array<{ seller_transaction_id?: string; invoice_number?: string }>;
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const SIGNATURE_HEADERS = ['paypal-auth-algo', 'paypal-cert-url', 'paypal-transmission-id', 'paypal-transmission-sig', 'paypal-transmission-time'] as const;

/**
 * Asks PayPal whether the notification is genuine (`POST /v1/notifications/verify-webhook-signature`
 * with the transmission headers and the integration's webhook id). The event goes into that request as
 * the exact bytes received, not re-serialised, since the signature covers them.
 */
export async function verifyPayPalWebhook(ctx: PayPalContext, request: WebhookRequest): Promise<WebhookVerification> {
  const values = SIGNATURE_HEADERS.map((h) => request.headers[h]);
  if (values.some((v) => !v)) return false;
  const text = decode(request.rawBody);
  let event: Partial<PayPalEvent>;
  try {
    event = JSON.parse(text) as Partial<PayPalEvent>;
  } catch {
    return false;
  }
  if (typeof event.id !== 'string' || typeof event.event_type !== 'string') return false;
  const [authAlgo, certUrl, transmissionId, transmissionSig, transmissionTime] = values;
  const head = JSON.stringify({ auth_algo: authAlgo, cert_url: certUrl, transmission_id: transmissionId, transmission_sig: transmissionSig, transmission_time: transmissionTime, webhook_id: ctx.credentials.webhookId });
  const answer = await paypal(ctx).rest<{ verification_status?: string } | undefined>('POST', '/v1/notifications/verify-webhook-signature', {
    body: `${head.slice(0, -1)},"webhook_event":${text}}`,
    headers: { 'content-type': 'application/json' },
    idempotent: true,
  });
  return answer?.verification_status === 'SUCCESS' ? { eventId: event.id } : false;
}

/** PayPal's dispute reasons in the categories the books use. */
const DISPUTE_REASONS: Record<string, Parameters<PaymentCollection['dispute']>[1]['reason']> = {
  MERCHANDISE_OR_SERVICE_NOT_RECEIVED: 'PRODUCT_NOT_RECEIVED',
  MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED: 'PRODUCT_UNACCEPTABLE',
  UNAUTHORISED: 'FRAUDULENT',
  CREDIT_NOT_PROCESSED: 'CREDIT_NOT_PROCESSED',
  DUPLICATE_TRANSACTION: 'DUPLICATE',
  CANCELED_RECURRING_BILLING: 'SUBSCRIPTION_CANCELED',
};

/** The capture a refund belongs to, from its `up` link (`…/v2/payments/captures/{id}`). */
const captureOfRefund = (refund: PayPalRefund): string | undefined => refund.links?.find((l) => l.rel === 'up' && /\/captures\//.test(l.href))?.href.split('/captures/')[1]?.split(/[/?]/)[0];

async function onRefunded(ctx: PayPalContext, refund: PayPalRefund): Promise<JsonValue> {
  if (await ctx.mappings.internalIdOf(MAPPED.refund, refund.id)) return { ignored: 'refund already recorded' };
  const captureId = captureOfRefund(refund);
  const payment = captureId ? await settledPayment(ctx, captureId, refund.invoice_id) : undefined;
  if (!payment) return { ignored: 'refund of a capture that is not in the books' };
  const refundable = payment.amount - payment.amountRefunded;
  if (payment.status !== 'COMPLETED' || refundable <= 0) return { ignored: `payment ${payment.id} is ${payment.status}` };
  const refunded = await ctx.entities.payments.refund(payment.id, { amount: Math.min(toMinorUnits(refund.amount).amount, refundable), reason: `PayPal refund ${refund.id}` });
  const ours = refunded.refunds.at(-1);
  if (ours) await ctx.mappings.link(MAPPED.refund, ours.id, refund.id);
  return { paymentId: payment.id, status: refunded.status, refundId: ours?.id ?? null };
}

async function onDisputed(ctx: PayPalContext, dispute: PayPalDispute): Promise<JsonValue> {
  const captureId = dispute.disputed_transactions?.find((t) => t.seller_transaction_id)?.seller_transaction_id;
  const payment = captureId ? await settledPayment(ctx, captureId, dispute.disputed_transactions?.[0]?.invoice_number) : undefined;
  if (!payment) return { ignored: 'dispute of a capture that is not in the books' };
  if (payment.dispute || payment.status !== 'COMPLETED') return { ignored: `payment ${payment.id} is ${payment.status}` };
  const open = payment.amount - payment.amountRefunded;
  const asked = dispute.dispute_amount ? toMinorUnits(dispute.dispute_amount).amount : open;
  const disputed = await ctx.entities.payments.dispute(payment.id, {
    amount: Math.min(asked, open),
    reason: DISPUTE_REASONS[dispute.reason ?? ''] ?? 'GENERAL',
    ...(dispute.seller_response_due_date ? { evidenceDueBy: dispute.seller_response_due_date.slice(0, 10) } : {}),
  });
  await ctx.mappings.link(MAPPED.dispute, payment.id, dispute.dispute_id);
  return { paymentId: payment.id, status: disputed.status };
}

/**
 * A verified notification, mapped onto the books: a capture completed or denied moves its payment
 * (recording it when the capture call did not), a refund refunds it, a dispute opens one. Each is
 * recorded once, whichever way and in whatever order the events arrive (the hub also handles each
 * event id once); other event types are acknowledged and ignored.
 */
export async function handlePayPalWebhook(ctx: PayPalContext, request: WebhookRequest): Promise<{ body: JsonValue }> {
  const event = JSON.parse(decode(request.rawBody)) as PayPalEvent;
  switch (event.event_type) {
    case 'PAYMENT.CAPTURE.COMPLETED':
    case 'PAYMENT.CAPTURE.DENIED': {
      const payment = await recordCapture(ctx, event.resource as unknown as PayPalCapture);
      return { body: payment ? { paymentId: payment.id, status: payment.status } : { ignored: 'capture names no invoice of this organization' } };
    }
    case 'PAYMENT.CAPTURE.REFUNDED':
      return { body: await onRefunded(ctx, event.resource as unknown as PayPalRefund) };
    case 'CUSTOMER.DISPUTE.CREATED':
      return { body: await onDisputed(ctx, event.resource as unknown as PayPalDispute) };
    default:
      return { body: { ignored: event.event_type } };
  }
}
