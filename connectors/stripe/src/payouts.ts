import type Stripe from 'stripe';
import type { Payout, PayoutItem, PayoutStatus } from '@uah/connector-sdk';
import { currencyOf, dayOf, fromStripeAmount, isoOf } from './amounts.js';
import { call, stripeOf, type StripeContext } from './client.js';
import { idOf } from './payments.js';
import { listAll } from './paging.js';

const STATUS: Record<string, PayoutStatus> = { pending: 'PENDING', in_transit: 'IN_TRANSIT', paid: 'PAID', failed: 'FAILED', canceled: 'CANCELED' };

/** Which payment a balance transaction's source belongs to: a charge directly, a refund or dispute through its charge. */
async function paymentIdOf(ctx: StripeContext, stripe: Stripe, txn: Stripe.BalanceTransaction): Promise<string | undefined> {
  const source = idOf(txn.source);
  if (!source) return undefined;
  let chargeId: string | null = source;
  if (source.startsWith('re_')) chargeId = idOf((await call(ctx, 'refunds', () => stripe.refunds.retrieve(source))).charge);
  else if (source.startsWith('dp_') || source.startsWith('du_')) chargeId = idOf((await call(ctx, 'disputes', () => stripe.disputes.retrieve(source))).charge);
  return chargeId ? ctx.mappings.internalIdOf('charge', chargeId) : undefined;
}

const KIND: Record<string, PayoutItem['kind']> = { charge: 'PAYMENT', payment: 'PAYMENT', refund: 'REFUND', payment_refund: 'REFUND', adjustment: 'DISPUTE', stripe_fee: 'FEE' };

/**
 * The balance transactions a payout settles, as payout items linked to our payments. One the books do
 * not know (a charge never imported) is kept as an ADJUSTMENT with its reference, so the items still add
 * up to the payout.
 */
async function itemsOf(ctx: StripeContext, stripe: Stripe, payout: Stripe.Payout): Promise<PayoutItem[]> {
  if (!payout.automatic) return [];
  const currency = currencyOf(payout.currency);
  const items: PayoutItem[] = [];
  for (const txn of await listAll(ctx, 'balance_transactions', (page) => stripe.balanceTransactions.list({ payout: payout.id, limit: 100, ...page }))) {
    if (txn.type === 'payout') continue;
    const kind = KIND[txn.type] ?? 'ADJUSTMENT';
    const paymentId = kind === 'FEE' || kind === 'ADJUSTMENT' ? undefined : await paymentIdOf(ctx, stripe, txn);
    items.push({ kind: paymentId || kind === 'FEE' ? kind : 'ADJUSTMENT', paymentId: paymentId ?? null, refundId: null, amount: fromStripeAmount(txn.net, currency), providerReference: txn.id });
  }
  return items;
}

/** Records a Stripe payout (once per `po_…`; its status only moves forward), with what it settles and its own fee. */
export async function recordPayout(ctx: StripeContext, payout: Stripe.Payout): Promise<Payout> {
  const stripe = stripeOf(ctx);
  const currency = currencyOf(payout.currency);
  const txnId = idOf(payout.balance_transaction);
  const txn = txnId ? await call(ctx, 'balance_transactions', () => stripe.balanceTransactions.retrieve(txnId)) : undefined;
  const status = STATUS[payout.status] ?? 'PENDING';
  return ctx.entities.payouts.record({
    providerReference: payout.id, status, amount: fromStripeAmount(payout.amount, currency), currency, fees: txn ? fromStripeAmount(txn.fee, currency) : 0,
    arrivalDate: dayOf(payout.arrival_date), ...(status === 'PAID' ? { paidAt: isoOf(payout.arrival_date) } : {}),
    ...(payout.failure_message || payout.failure_code ? { failureReason: (payout.failure_message ?? payout.failure_code ?? '').slice(0, 500) } : {}),
    ...(payout.description ? { description: payout.description.slice(0, 500) } : {}),
    items: await itemsOf(ctx, stripe, payout), metadata: { stripePayoutId: payout.id },
  });
}
