import { createHash } from 'node:crypto';
import { ConnectorEntityError, type CurrencyCode, type PaymentIntent, type PaymentIntentCreate } from '@uah/connector-sdk';
import { AmountNotPayable, fromStripeAmount, toStripeAmount } from './amounts.js';
import { call, stripeOf, type StripeContext } from './client.js';

const refuse = (message: string, field: string): ConnectorEntityError => new ConnectorEntityError('VALIDATION_FAILED', message, 422, [{ field, message }]);

/** The Stripe customer of one of our customers: the mapped one, or one created now (and mapped). */
export async function stripeCustomerFor(ctx: StripeContext, customerId: string): Promise<string> {
  const known = await ctx.mappings.externalIdOf('customer', customerId);
  if (known) return known;
  const customer = await ctx.entities.customers.get(customerId);
  if (!customer) throw refuse(`No customer ${customerId} in this organization.`, '/customerId');
  const stripe = stripeOf(ctx);
  const created = await call(ctx, 'customers', () =>
    stripe.customers.create(
      { name: customer.displayName, ...(customer.email ? { email: customer.email } : {}), metadata: { organizationId: ctx.organizationId, customerId } },
      { idempotencyKey: `uah-customer-${ctx.organizationId}-${customerId}` },
    ),
  );
  await ctx.mappings.link('customer', customerId, created.id);
  return created.id;
}

/** What the intent is for: an invoice's balance (its customer and currency) or an amount for a customer. */
async function targetOf(ctx: StripeContext, input: PaymentIntentCreate): Promise<{ amount: number; currency: CurrencyCode; customerId: string; invoiceId?: string; quoteId?: string }> {
  if (!input.invoiceId) {
    if (input.amount === undefined || !input.currency || !input.customerId) throw refuse('Without an invoice, amount, currency and customerId are required.', input.amount === undefined ? '/amount' : !input.currency ? '/currency' : '/customerId');
    return { amount: input.amount, currency: input.currency, customerId: input.customerId };
  }
  const invoice = await ctx.entities.invoices.get(input.invoiceId);
  if (!invoice) throw refuse(`No invoice ${input.invoiceId} in this organization.`, '/invoiceId');
  if (invoice.status === 'DRAFT' || invoice.status === 'CANCELLED' || invoice.balance === 0) throw refuse(`Invoice ${invoice.number ?? invoice.id} is ${invoice.status} with a balance of ${invoice.balance}: nothing to pay.`, '/invoiceId');
  if (input.currency && input.currency !== invoice.currency) throw refuse(`The invoice is in ${invoice.currency}.`, '/currency');
  if (input.customerId && input.customerId !== invoice.customerId) throw refuse("The customer is not the invoice's.", '/customerId');
  const amount = input.amount ?? invoice.balance;
  if (amount > invoice.balance) throw refuse(`${amount} is more than the invoice's balance ${invoice.balance}.`, '/amount');
  return { amount, currency: invoice.currency, customerId: invoice.customerId, invoiceId: invoice.id, ...(invoice.quoteId ? { quoteId: invoice.quoteId } : {}) };
}

/**
 * `create_payment_intent`: a Stripe PaymentIntent in Stripe's units of the currency, with the customer
 * mapped, our ids in its metadata, and an Idempotency-Key derived from the organization and the request,
 * so a retried request gets the same intent from Stripe and the same PENDING payment here.
 */
export async function createPaymentIntent(ctx: StripeContext, input: PaymentIntentCreate): Promise<PaymentIntent> {
  const target = await targetOf(ctx, input);
  let amount: number;
  try {
    amount = toStripeAmount(target.amount, target.currency);
  } catch (error) {
    if (error instanceof AmountNotPayable) throw refuse(error.message, '/amount');
    throw error;
  }
  const customer = await stripeCustomerFor(ctx, target.customerId);
  const metadata: Record<string, string> = {
    ...(input.metadata ?? {}),
    organizationId: ctx.organizationId, customerId: target.customerId,
    ...(target.invoiceId ? { invoiceId: target.invoiceId } : {}), ...(target.quoteId ? { quoteId: target.quoteId } : {}),
  };
  const idempotencyKey = `uah-intent-${createHash('sha256').update(JSON.stringify([ctx.organizationId, input])).digest('hex').slice(0, 48)}`;
  const stripe = stripeOf(ctx);
  const intent = await call(ctx, 'payment_intents', () =>
    stripe.paymentIntents.create(
      {
        amount, currency: target.currency.toLowerCase(), customer, metadata,
        ...(input.paymentMethodTypes ? { payment_method_types: input.paymentMethodTypes } : { automatic_payment_methods: { enabled: true } }),
        ...(input.savePaymentMethod ? { setup_future_usage: 'off_session' as const } : {}),
      },
      { idempotencyKey },
    ),
  );
  const paymentId = (await ctx.mappings.internalIdOf('payment', intent.id)) ?? (await recordPending(ctx, intent.id, target));
  return { id: intent.id, clientSecret: intent.client_secret ?? '', status: intent.status, amount: fromStripeAmount(intent.amount, target.currency), currency: target.currency, paymentId };
}

async function recordPending(ctx: StripeContext, intentId: string, target: { amount: number; currency: CurrencyCode; customerId: string; invoiceId?: string }): Promise<string> {
  const payment = await ctx.entities.payments.record({
    customerId: target.customerId, amount: target.amount, currency: target.currency, method: 'CARD', status: 'PENDING', depositAccount: 'payment_clearing', reference: intentId,
    ...(target.invoiceId ? { applications: [{ invoiceId: target.invoiceId, amount: target.amount }] } : {}),
    metadata: { stripePaymentIntentId: intentId },
  });
  await ctx.mappings.link('payment', payment.id, intentId);
  return payment.id;
}
