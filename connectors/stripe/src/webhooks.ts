import Stripe from 'stripe';
import type { JsonValue, PaymentDisputeCreate } from '@uah/connector-sdk';
import { currencyOf, dayOf, fromStripeAmount } from './amounts.js';
import type { StripeContext } from './client.js';
import { idOf, paymentOf, settleIntent, syncRefunds } from './payments.js';
import { recordPayout } from './payouts.js';

/** Signatures older than this (seconds) are refused: a replayed request is stale. Stripe's own default. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

type WebhookRequest = { headers: Record<string, string>; rawBody: Uint8Array };

/** Verification only needs the library's signature check, never the API: a client with a dummy key. */
const verifier = new Stripe('sk_verify_only_00000000', { telemetry: false });

/** Stripe's event, checked by `stripe.webhooks.constructEvent` on the exact bytes; undefined when forged, stale or unsigned. */
export function verifiedEvent(ctx: StripeContext, request: WebhookRequest): Stripe.Event | undefined {
  const signature = request.headers['stripe-signature'];
  if (!signature || !ctx.credentials.webhookSecret) return undefined;
  try {
    return verifier.webhooks.constructEvent(Buffer.from(request.rawBody), signature, ctx.credentials.webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
  } catch {
    return undefined;
  }
}

type Answer = { [key: string]: JsonValue };
type Handler = (ctx: StripeContext, object: Stripe.Event.Data.Object) => Promise<Answer>;
const intentOf = (o: Stripe.Event.Data.Object): Stripe.PaymentIntent => o as Stripe.PaymentIntent;
const ignored = (why: string): Answer => ({ ignored: why });

const DISPUTE_REASONS = new Set(['FRAUDULENT', 'DUPLICATE', 'PRODUCT_NOT_RECEIVED', 'PRODUCT_UNACCEPTABLE', 'SUBSCRIPTION_CANCELED', 'CREDIT_NOT_PROCESSED']);

/**
 * Stripe's event types as the books' payment actions. Each is safe to run again and in any order:
 * a status only moves forward (a late `processing` finds the payment COMPLETED and does nothing), and
 * amounts are compared with what the books hold rather than added.
 */
const HANDLERS: Record<string, Handler> = {
  'payment_intent.processing': async (ctx, object) => {
    const payment = await paymentOf(ctx, { intentId: intentOf(object).id });
    if (!payment) return ignored('unknown payment intent');
    if (payment.status !== 'PENDING') return ignored(`payment is ${payment.status}`);
    return { paymentId: (await ctx.entities.payments.process(payment.id)).id };
  },
  'payment_intent.succeeded': async (ctx, object) => {
    const payment = await settleIntent(ctx, intentOf(object));
    return payment ? { paymentId: payment.id, status: payment.status } : ignored('no charge');
  },
  'payment_intent.payment_failed': async (ctx, object) => {
    const intent = intentOf(object);
    const payment = await paymentOf(ctx, { intentId: intent.id });
    if (!payment) return ignored('unknown payment intent');
    if (payment.status !== 'PENDING' && payment.status !== 'PROCESSING') return ignored(`payment is ${payment.status}`);
    const error = intent.last_payment_error;
    const reason = [error?.decline_code ?? error?.code, error?.message].filter(Boolean).join(': ') || 'The payment failed at Stripe';
    return { paymentId: (await ctx.entities.payments.fail(payment.id, { reason: reason.slice(0, 500) })).id };
  },
  'charge.refunded': async (ctx, object) => {
    const charge = object as Stripe.Charge;
    const payment = await paymentOf(ctx, { intentId: idOf(charge.payment_intent), chargeId: charge.id });
    if (!payment) return ignored('unknown charge');
    const after = await syncRefunds(ctx, payment, charge);
    return { paymentId: after.id, amountRefunded: after.amountRefunded };
  },
  'charge.dispute.created': async (ctx, object) => {
    const dispute = object as Stripe.Dispute;
    const payment = await paymentOf(ctx, { intentId: idOf(dispute.payment_intent), chargeId: idOf(dispute.charge) });
    if (!payment) return ignored('unknown charge');
    if (payment.status !== 'COMPLETED') return ignored(`payment is ${payment.status}`);
    const reason = dispute.reason.toUpperCase();
    const amount = Math.min(fromStripeAmount(dispute.amount, currencyOf(dispute.currency)), payment.amount - payment.amountRefunded);
    const input: PaymentDisputeCreate = {
      amount, reason: (DISPUTE_REASONS.has(reason) ? reason : 'GENERAL') as PaymentDisputeCreate['reason'],
      ...(dispute.evidence_details?.due_by ? { evidenceDueBy: dayOf(dispute.evidence_details.due_by) } : {}),
    };
    return { paymentId: (await ctx.entities.payments.dispute(payment.id, input)).id };
  },
  'charge.dispute.closed': async (ctx, object) => {
    const dispute = object as Stripe.Dispute;
    const payment = await paymentOf(ctx, { intentId: idOf(dispute.payment_intent), chargeId: idOf(dispute.charge) });
    if (!payment || payment.status !== 'DISPUTED') return ignored('no open dispute');
    if (dispute.status !== 'won' && dispute.status !== 'lost') return ignored(`dispute is ${dispute.status}`);
    return { paymentId: (await ctx.entities.payments.resolveDispute(payment.id, { outcome: dispute.status === 'won' ? 'WON' : 'LOST' })).id };
  },
};
for (const type of ['payout.created', 'payout.updated', 'payout.paid', 'payout.failed', 'payout.canceled']) {
  HANDLERS[type] = async (ctx, object) => {
    const payout = await recordPayout(ctx, object as Stripe.Payout);
    return { payoutId: payout.id, status: payout.status };
  };
}

/** Handles an event the hub had verified (`verifiedEvent`): its type's handler, or an answer saying the books do not use it. */
export async function handleEvent(ctx: StripeContext, request: WebhookRequest): Promise<{ body: Answer }> {
  const event = JSON.parse(new TextDecoder().decode(request.rawBody)) as Stripe.Event;
  const handler = HANDLERS[event.type];
  if (!handler) return { body: { received: true, ignored: event.type } };
  return { body: { received: true, type: event.type, ...(await handler(ctx, event.data.object)) } };
}

