import type Stripe from 'stripe';
import type { SyncJob, SyncResult } from '@uah/connector-sdk';
import { stripeOf, call, type StripeContext } from './client.js';
import { listAll } from './paging.js';
import { idOf, importCharge, paymentOf, syncRefunds } from './payments.js';
import { recordPayout } from './payouts.js';

/** A date range in Stripe's `created` filter (Unix seconds, both ends included). */
export interface Range {
  from: number;
  to?: number;
}

const created = (range: Range): { gte: number; lte?: number } => ({ gte: range.from, ...(range.to === undefined ? {} : { lte: range.to }) });
const empty = (): SyncResult => ({ created: 0, updated: 0, skipped: 0, failed: 0 });

function failed(result: SyncResult, externalId: string, error: unknown): void {
  result.failed += 1;
  (result.errors ??= []).push({ externalId, message: (error as Error).message });
}

/**
 * Stripe's succeeded charges created in the range, as COMPLETED payments with their fees and refunds.
 * A charge already in the books (by its intent or its own id) only has its refunds brought up to date,
 * so running the same range twice changes nothing.
 */
export async function importCharges(ctx: StripeContext, range: Range): Promise<SyncResult> {
  const stripe = stripeOf(ctx);
  const result = empty();
  const charges = await listAll(ctx, 'charges', (page) => stripe.charges.list({ created: created(range), limit: 100, expand: ['data.balance_transaction'], ...page }));
  for (const charge of charges) {
    if (charge.status !== 'succeeded' || !charge.paid) {
      result.skipped += 1;
      continue;
    }
    try {
      const intentId = idOf(charge.payment_intent);
      const known = await paymentOf(ctx, { intentId, chargeId: charge.id });
      if (known) {
        const after = await syncRefunds(ctx, known, charge);
        if (after.amountRefunded !== known.amountRefunded) result.updated += 1;
        else result.skipped += 1;
        continue;
      }
      const intent: Stripe.PaymentIntent | undefined = intentId ? await call(ctx, 'payment_intents', () => stripe.paymentIntents.retrieve(intentId)) : undefined;
      await importCharge(ctx, charge, intent ? { id: intent.id, metadata: intent.metadata } : undefined);
      result.created += 1;
    } catch (error) {
      failed(result, charge.id, error);
    }
  }
  return result;
}

/** Stripe's payouts created in the range, each recorded once with the payments it settles (a status that moved is updated). */
export async function importPayouts(ctx: StripeContext, range: Range): Promise<SyncResult> {
  const stripe = stripeOf(ctx);
  const result = empty();
  for (const payout of await listAll(ctx, 'payouts', (page) => stripe.payouts.list({ created: created(range), limit: 100, ...page }))) {
    try {
      const before = (await ctx.entities.payouts.list({ providerReference: payout.id, connectorId: ctx.connectorId, limit: 1 })).data[0];
      const after = await recordPayout(ctx, payout);
      if (!before) result.created += 1;
      else if (before.status !== after.status) result.updated += 1;
      else result.skipped += 1;
    } catch (error) {
      failed(result, payout.id, error);
    }
  }
  return result;
}

/** The range of a scheduled or manual sync: since the hub's `since` (everything on a full run) until now. */
export function rangeOf(job: SyncJob): Range {
  return { from: job.full || !job.since ? 0 : Math.floor(Date.parse(job.since) / 1000) };
}
