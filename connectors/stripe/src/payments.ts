import type Stripe from 'stripe';
import type { Payment, PaymentCreate } from '@uah/connector-sdk';
import { currencyOf, dayOf, fromStripeAmount, isoOf } from './amounts.js';
import { call, stripeOf, type StripeContext } from './client.js';

/** The payment of a Stripe intent or charge, by the mappings made when it was recorded. */
export async function paymentOf(ctx: StripeContext, ids: { intentId?: string | null; chargeId?: string | null }): Promise<Payment | undefined> {
  const id = (ids.intentId ? await ctx.mappings.internalIdOf('payment', ids.intentId) : undefined) ?? (ids.chargeId ? await ctx.mappings.internalIdOf('charge', ids.chargeId) : undefined);
  return id ? ctx.entities.payments.get(id) : undefined;
}

const idOf = (value: string | { id: string } | null | undefined): string | null => (value === null || value === undefined ? null : typeof value === 'string' ? value : value.id);

/** A charge with its balance transaction (the fee Stripe kept), read from Stripe. */
export async function chargeWithFees(ctx: StripeContext, chargeId: string): Promise<Stripe.Charge> {
  const stripe = stripeOf(ctx);
  return call(ctx, 'charges', () => stripe.charges.retrieve(chargeId, { expand: ['balance_transaction'] }));
}

/** Stripe's fee on a charge, in our minor units (0 until Stripe has a balance transaction for it). */
export function feesOf(charge: Stripe.Charge): number {
  const txn = charge.balance_transaction;
  if (txn === null || typeof txn === 'string' || txn.currency !== charge.currency) return 0;
  return fromStripeAmount(txn.fee, currencyOf(charge.currency));
}

/** Our customer for a Stripe payment: the one named in its metadata, the mapped Stripe customer, or one made from Stripe's (mapped). */
async function customerFor(ctx: StripeContext, charge: Stripe.Charge, metadata: Record<string, string>): Promise<string> {
  if (metadata['customerId'] && (await ctx.entities.customers.get(metadata['customerId']))) return metadata['customerId'];
  const stripeCustomer = idOf(charge.customer) ?? 'guest';
  const mapped = await ctx.mappings.internalIdOf('customer', stripeCustomer);
  if (mapped) return mapped;
  let name = 'Stripe guest payments';
  let email: string | null = null;
  if (stripeCustomer !== 'guest') {
    const stripe = stripeOf(ctx);
    const remote = await call(ctx, 'customers', () => stripe.customers.retrieve(stripeCustomer));
    const live = 'deleted' in remote && remote.deleted ? undefined : (remote as Stripe.Customer);
    name = live?.name ?? charge.billing_details.name ?? live?.email ?? `Stripe customer ${stripeCustomer}`;
    email = live?.email ?? charge.billing_details.email ?? null;
  }
  const created = await ctx.entities.customers.create({ businessName: name, ...(email ? { email } : {}), metadata: { stripeCustomerId: stripeCustomer } });
  await ctx.mappings.link('customer', created.id, stripeCustomer);
  return created.id;
}

/** What of `amount` goes to the invoice its metadata names, when that invoice is still open for it. */
async function applicationsFor(ctx: StripeContext, metadata: Record<string, string>, input: { customerId: string; currency: string; amount: number }): Promise<NonNullable<PaymentCreate['applications']>> {
  const invoiceId = metadata['invoiceId'];
  if (!invoiceId) return [];
  const invoice = await ctx.entities.invoices.get(invoiceId);
  if (!invoice || invoice.customerId !== input.customerId || invoice.currency !== input.currency || invoice.balance === 0 || ['DRAFT', 'CANCELLED'].includes(invoice.status)) return [];
  return [{ invoiceId, amount: Math.min(invoice.balance, input.amount) }];
}

/**
 * Records a succeeded charge the books do not have (made outside the hub, or whose pending payment
 * failed before a later attempt succeeded) as a COMPLETED payment with Stripe's fee, then its refunds.
 */
export async function importCharge(ctx: StripeContext, charge: Stripe.Charge, intent?: { id: string; metadata: Record<string, string> }): Promise<Payment> {
  const currency = currencyOf(charge.currency);
  const metadata = { ...(intent?.metadata ?? {}), ...charge.metadata };
  const customerId = await customerFor(ctx, charge, metadata);
  const amount = fromStripeAmount(charge.amount, currency);
  const payment = await ctx.entities.payments.record({
    customerId, amount, currency, method: 'CARD', status: 'COMPLETED', fees: feesOf(charge), depositAccount: 'payment_clearing',
    reference: intent?.id ?? charge.id, processedAt: isoOf(charge.created), applications: await applicationsFor(ctx, metadata, { customerId, currency, amount }),
    metadata: { stripeChargeId: charge.id, ...(intent ? { stripePaymentIntentId: intent.id } : {}) },
  });
  if (intent) await ctx.mappings.link('payment', payment.id, intent.id);
  await ctx.mappings.link('charge', payment.id, charge.id);
  return syncRefunds(ctx, payment, charge);
}

/**
 * Completes the payment of a succeeded intent with the fee from its charge's balance transaction (net to
 * payment clearing); a payment already completed is left as it is, so a repeated or late event changes nothing.
 */
export async function settleIntent(ctx: StripeContext, intent: Stripe.PaymentIntent): Promise<Payment | undefined> {
  const chargeId = idOf(intent.latest_charge);
  if (!chargeId) return undefined;
  const existing = await paymentOf(ctx, { intentId: intent.id, chargeId });
  if (existing && existing.status !== 'PENDING' && existing.status !== 'PROCESSING' && existing.status !== 'FAILED') return existing;
  const charge = await chargeWithFees(ctx, chargeId);
  if (!existing || existing.status === 'FAILED') return importCharge(ctx, charge, { id: intent.id, metadata: intent.metadata });
  const completed = await ctx.entities.payments.complete(existing.id, { fees: feesOf(charge), processedAt: isoOf(charge.created), reference: intent.id });
  await ctx.mappings.link('charge', completed.id, charge.id);
  return completed;
}

/** Refunds here what Stripe refunded beyond what the books already hold (cumulative, so any order of events ends the same). */
export async function syncRefunds(ctx: StripeContext, payment: Payment, charge: Stripe.Charge): Promise<Payment> {
  const refunded = fromStripeAmount(charge.amount_refunded, currencyOf(charge.currency));
  const missing = refunded - payment.amountRefunded;
  if (missing <= 0 || payment.status !== 'COMPLETED') return payment;
  const latest = charge.refunds?.data[0];
  return ctx.entities.payments.refund(payment.id, { amount: missing, reason: latest?.reason ?? 'Refunded at Stripe', date: dayOf(latest?.created ?? charge.created) });
}

export { idOf };
