import { randomUUID } from 'node:crypto';
import { CheckoutPaymentIntent, PaypalExperienceUserAction, PaypalWalletContextShippingPreference } from '@paypal/paypal-server-sdk';
import type { JsonValue } from '@uah/connector-sdk';
import { recordCapture, type PayPalCapture } from './captures.js';
import { toMinorUnits, toPayPalMoney } from './money.js';
import { paypal, wire, type PayPalContext } from './paypal-client.js';

/** An order as PayPal answers it (checkout orders v2 `order`), the parts this connector reads. */
interface PayPalOrder {
  id: string;
  status: string;
  links?: Array<{ href: string; rel: string; method?: string }>;
  purchase_units?: Array<{ payments?: { captures?: PayPalCapture[] } }>;
}

const PAYABLE = new Set(['SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE']);


interface CreateOrderInput {
  invoiceId: string;
  amount?: number;
  returnUrl: string;
  cancelUrl: string;
  requestId?: string;
}

/**
 * `create_order`: a PayPal order (intent CAPTURE) for an issued invoice's balance or a part of it. The
 * purchase unit carries our invoice id (`invoice_id`) and customer id (`custom_id`), which come back on
 * its capture and in every webhook about it. Calls with the same `requestId` (PayPal-Request-Id) create
 * one order.
 */
export async function createOrder(ctx: PayPalContext, raw: Record<string, unknown>): Promise<JsonValue> {
  const input = raw as unknown as CreateOrderInput;
  const invoice = await ctx.entities.invoices.get(input.invoiceId);
  if (!invoice) throw new Error(`No invoice ${input.invoiceId} in this organization.`);
  if (!PAYABLE.has(invoice.status) || invoice.balance <= 0) throw new Error(`Invoice ${invoice.id} is ${invoice.status} with a balance of ${invoice.balance}: nothing to pay.`);
  const amount = input.amount ?? invoice.balance;
  if (amount > invoice.balance) throw new Error(`${amount} is more than the invoice's balance of ${invoice.balance}.`);
  const value = toPayPalMoney(amount, invoice.currency);
  const response = await paypal(ctx).orders.createOrder({
    // Our own retries of this call reuse the id, so they never create a second order; a caller's retry does with `requestId`.
    paypalRequestId: input.requestId ?? randomUUID(),
    prefer: 'return=representation',
    body: {
      intent: CheckoutPaymentIntent.Capture,
      purchaseUnits: [{
        referenceId: invoice.id,
        invoiceId: invoice.id,
        customId: invoice.customerId,
        description: `Invoice ${invoice.number ?? invoice.id}`.slice(0, 127),
        amount: { currencyCode: value.currency_code, value: value.value },
      }],
      paymentSource: {
        paypal: {
          experienceContext: {
            returnUrl: input.returnUrl,
            cancelUrl: input.cancelUrl,
            shippingPreference: PaypalWalletContextShippingPreference.NoShipping,
            userAction: PaypalExperienceUserAction.PayNow,
          },
        },
      },
    },
  });
  const order = wire<PayPalOrder>(response);
  const approval = order.links?.find((l) => l.rel === 'payer-action' || l.rel === 'approve');
  ctx.logger.info('paypal order created', { orderId: order.id, invoiceId: invoice.id, amount });
  return { id: order.id, status: order.status, approvalUrl: approval?.href ?? null, invoiceId: invoice.id, amount, currency: invoice.currency };
}

/**
 * `capture_order`: captures an approved order and records each capture as a payment (see
 * {@link recordCapture}). PayPal-Request-Id is derived from the order, so a retry after a timeout or a
 * 5xx, by this client or the caller, never captures twice.
 */
export async function captureOrder(ctx: PayPalContext, raw: Record<string, unknown>): Promise<JsonValue> {
  const orderId = String(raw['orderId']);
  const response = await paypal(ctx).orders.captureOrder({ id: orderId, paypalRequestId: `uah-capture-${orderId}`, prefer: 'return=representation' });
  const order = wire<PayPalOrder>(response);
  const captures = (order.purchase_units ?? []).flatMap((unit) => unit.payments?.captures ?? []);
  const results: JsonValue[] = [];
  for (const capture of captures) {
    const payment = await recordCapture(ctx, capture);
    const fee = capture.seller_receivable_breakdown?.paypal_fee;
    results.push({
      captureId: capture.id,
      captureStatus: capture.status,
      paymentId: payment?.id ?? null,
      paymentStatus: payment?.status ?? null,
      amount: toMinorUnits(capture.amount).amount,
      fees: fee ? toMinorUnits(fee).amount : 0,
      net: payment?.net ?? null,
    });
  }
  return { id: order.id, status: order.status, captures: results };
}
