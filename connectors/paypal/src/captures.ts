import type { Payment } from '@uah/connector-sdk';
import { toMinorUnits, type PayPalMoney } from './money.js';
import { paypal, wire, type PayPalContext } from './paypal-client.js';

/** A capture as PayPal sends it (payments v2 `capture-2`), in an order's purchase unit or a webhook's resource. */
export interface PayPalCapture {
  id: string;
  status: 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED';
  status_details?: { reason?: string };
  amount: PayPalMoney;
  invoice_id?: string;
  custom_id?: string;
  seller_receivable_breakdown?: { gross_amount: PayPalMoney; paypal_fee?: PayPalMoney; net_amount?: PayPalMoney };
  supplementary_data?: { related_ids?: { order_id?: string } };
  create_time?: string;
  update_time?: string;
}

/** The mapping types this connector keeps: our payment ↔ PayPal's capture, our refund ↔ PayPal's refund, our payment ↔ PayPal's dispute. */
export const MAPPED = { capture: 'payment', refund: 'payment_refund', dispute: 'payment_dispute' } as const;

/** Captures that were completed at PayPal at some point (a refund comes after the completion). */
const WAS_COMPLETED = new Set<PayPalCapture['status']>(['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
const NOT_SETTLED = new Set<Payment['status']>(['PENDING', 'PROCESSING']);

/** PayPal's fee on a capture, in minor units (0 when PayPal reports none yet, as for a pending capture). */
function feeOf(capture: PayPalCapture): number {
  const fee = capture.seller_receivable_breakdown?.paypal_fee;
  return fee ? toMinorUnits(fee).amount : 0;
}

/** Our payment for a PayPal capture: by the mapping, else by its reference among the invoice's payments (a link lost before it was written). */
export async function findPayment(ctx: PayPalContext, captureId: string, invoiceId?: string): Promise<Payment | undefined> {
  const mapped = await ctx.mappings.internalIdOf(MAPPED.capture, captureId);
  if (mapped) return ctx.entities.payments.get(mapped);
  if (!invoiceId?.startsWith('inv_')) return undefined;
  const { data } = await ctx.entities.payments.list({ invoiceId, limit: 100 });
  const found = data.find((p) => p.reference === captureId);
  if (found) await ctx.mappings.link(MAPPED.capture, found.id, captureId);
  return found;
}

/** Brings a recorded payment up to the capture's state; a late or repeated state never undoes a later one. */
async function advance(ctx: PayPalContext, payment: Payment, capture: PayPalCapture): Promise<Payment> {
  if (!NOT_SETTLED.has(payment.status)) return payment;
  if (WAS_COMPLETED.has(capture.status)) {
    return ctx.entities.payments.complete(payment.id, { fees: feeOf(capture), ...(capture.update_time ? { processedAt: capture.update_time } : {}) });
  }
  if (capture.status === 'DECLINED' || capture.status === 'FAILED') {
    return ctx.entities.payments.fail(payment.id, { reason: `PayPal ${capture.status.toLowerCase()} the capture${capture.status_details?.reason ? `: ${capture.status_details.reason}` : ''}` });
  }
  return payment;
}

/** A new payment for a capture: against its invoice (up to the invoice's balance, the rest kept as customer credit). */
async function recordNew(ctx: PayPalContext, capture: PayPalCapture): Promise<Payment | undefined> {
  const invoice = capture.invoice_id?.startsWith('inv_') ? await ctx.entities.invoices.get(capture.invoice_id) : undefined;
  if (!invoice) {
    ctx.logger.warn('capture names no invoice of this organization; not recorded', { captureId: capture.id });
    return undefined;
  }
  const { amount, currency } = toMinorUnits(capture.amount);
  const open = invoice.currency === currency && invoice.balance > 0 && invoice.status !== 'CANCELLED' && invoice.status !== 'DRAFT';
  const completed = WAS_COMPLETED.has(capture.status);
  const payment = await ctx.entities.payments.record({
    customerId: invoice.customerId,
    amount,
    currency,
    method: 'PAYPAL',
    status: completed ? 'COMPLETED' : 'PENDING',
    ...(completed ? { fees: feeOf(capture) } : {}),
    ...(invoice.exchangeRate && invoice.currency === currency ? { exchangeRate: invoice.exchangeRate } : {}),
    depositAccount: 'payment_clearing',
    reference: capture.id,
    ...(capture.update_time ?? capture.create_time ? { processedAt: (capture.update_time ?? capture.create_time) as string } : {}),
    ...(open ? { applications: [{ invoiceId: invoice.id, amount: Math.min(amount, invoice.balance) }] } : {}),
    metadata: { paypalCaptureId: capture.id, ...(capture.supplementary_data?.related_ids?.order_id ? { paypalOrderId: capture.supplementary_data.related_ids.order_id } : {}) },
  });
  await ctx.mappings.link(MAPPED.capture, payment.id, capture.id);
  return advance(ctx, payment, capture);
}

/**
 * Records what PayPal says about a capture, once: a new capture becomes a payment (COMPLETED and
 * posted with PayPal's fee, PENDING, or FAILED), a known one only moves forward (PENDING → COMPLETED
 * or FAILED). The same capture seen again, from the capture call or any webhook, changes nothing.
 */
export async function recordCapture(ctx: PayPalContext, capture: PayPalCapture): Promise<Payment | undefined> {
  const existing = await findPayment(ctx, capture.id, capture.invoice_id);
  return existing ? advance(ctx, existing, capture) : recordNew(ctx, capture);
}

/**
 * Our payment for a capture a refund or dispute names, brought up to date: when it is unknown or not
 * settled yet (the webhooks came out of order), the capture is read from PayPal and recorded first.
 */
export async function settledPayment(ctx: PayPalContext, captureId: string, invoiceId?: string): Promise<Payment | undefined> {
  const known = await findPayment(ctx, captureId, invoiceId);
  if (known && !NOT_SETTLED.has(known.status)) return known;
  return recordCapture(ctx, wire<PayPalCapture>(await paypal(ctx).payments.getCapturedPayment({ captureId })));
}
