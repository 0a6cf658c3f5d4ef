import { ConnectorEntityError, type Invoice, type InvoiceCreate, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { minor, shopifyClient, type ShopifyContext } from './api.js';
import { customerFor } from './customers.js';
import { methodOf } from './gateways.js';
import { taxRateFor } from './taxes.js';
import type { ShopifyOrder, ShopifyTaxLine } from './types.js';

const CURSOR = 'orders.updatedAtMin';
const CONCURRENCY = 4;

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}
const PAID = new Set(['paid', 'partially_refunded', 'refunded']);
type Line = InvoiceCreate['lines'][number];

export const invoiceNumber = (order: Pick<ShopifyOrder, 'order_number'>): string => `SHOP-${order.order_number}`;
const dateOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);
const sum = (values: Array<{ amount: string } | { price: string }> = []): number => values.reduce((total, v) => total + minor('amount' in v ? v.amount : v.price), 0);

async function lineOf(ctx: ShopifyContext, order: ShopifyOrder, description: string, quantity: number, unitPrice: number, discount: number, taxes: ShopifyTaxLine[] = []): Promise<Line> {
  const taxRateId = await taxRateFor(ctx, taxes);
  if (order.taxes_included) {
    // Shopify's prices include the tax here; the books add it, so the line carries the net amount.
    const net = unitPrice * quantity - discount - sum(taxes);
    return { description, quantity: '1', unitPrice: Math.max(net, 0), taxRateId };
  }
  return { description, quantity: String(quantity), unitPrice, taxRateId, ...(discount > 0 ? { discount: { type: 'AMOUNT' as const, amount: discount } } : {}) };
}

async function linesOf(ctx: ShopifyContext, order: ShopifyOrder): Promise<Line[]> {
  const lines: Line[] = [];
  for (const item of order.line_items) {
    const discount = item.discount_allocations ? sum(item.discount_allocations) : minor(item.total_discount);
    const label = `${item.name ?? item.title}${item.sku ? ` (${item.sku})` : ''}`.slice(0, 500);
    lines.push(await lineOf(ctx, order, label, item.quantity, minor(item.price), discount, item.tax_lines));
  }
  for (const shipping of order.shipping_lines) {
    const price = minor(shipping.price);
    if (price === 0) continue;
    const discount = shipping.discounted_price !== undefined ? price - minor(shipping.discounted_price) : 0;
    lines.push(await lineOf(ctx, order, `Shipping: ${shipping.title}`.slice(0, 500), 1, price, discount, shipping.tax_lines));
  }
  return lines;
}

/**
 * The invoice of an order, issued under the number SHOP-<order_number>. The number is unique in the
 * books and taken in the issuing transaction, so however often (and however concurrently) an order is
 * imported, one invoice is issued for it.
 */
async function invoiceFor(ctx: ShopifyContext, order: ShopifyOrder, customerId: string): Promise<{ invoice: Invoice; created: boolean }> {
  const number = invoiceNumber(order);
  const existing = await ctx.entities.invoices.findByNumber(number);
  if (existing) return { invoice: existing, created: false };
  const date = dateOf(order.processed_at ?? order.created_at);
  const draftId = await ctx.mappings.internalIdOf('order_draft', String(order.id));
  const leftover = draftId ? await ctx.entities.invoices.get(draftId) : undefined;
  const draft = leftover?.status === 'DRAFT' ? leftover : await ctx.entities.invoices.createDraft({
    customerId, currency: order.currency as NonNullable<InvoiceCreate['currency']>, issueDate: date, paymentTermsDays: 0, lines: await linesOf(ctx, order),
    notes: `Shopify order ${order.name}`, metadata: { shopifyOrderId: String(order.id), shopifyOrderName: order.name },
  });
  if (draft !== leftover) await ctx.mappings.link('order_draft', draft.id, String(order.id));
  try {
    return { invoice: await ctx.entities.invoices.issue(draft.id, { number, issueDate: date, dueDate: date }), created: true };
  } catch (error) {
    if (!(error instanceof ConnectorEntityError && (error.code === 'DUPLICATE_INVOICE_NUMBER' || error.code === 'CONFLICT'))) throw error;
    const raced = await ctx.entities.invoices.findByNumber(number);
    if (!raced) throw error;
    return { invoice: raced, created: false };
  }
}

/**
 * The payment of an order, once: an invoice with a payment applied to it has been paid here already (the
 * application commits with the payment, and the invoice's row lock orders two concurrent attempts). An
 * invoice this very call issued has none yet.
 */
async function paymentFor(ctx: ShopifyContext, order: ShopifyOrder, invoice: Invoice, issuedNow: boolean): Promise<string | undefined> {
  const paid = issuedNow ? undefined : (await ctx.entities.payments.list({ invoiceId: invoice.id, limit: 1 })).data[0];
  if (paid) return paid.id;
  const amount = minor(order.total_price);
  if (amount <= 0) return undefined;
  const gateway = order.payment_gateway_names?.[0] ?? order.gateway ?? 'manual';
  const method = methodOf(gateway, ctx.config.gatewayMethods);
  const payment = await ctx.entities.payments.record({
    customerId: invoice.customerId, amount, currency: invoice.currency, method, status: 'COMPLETED',
    depositAccount: method === 'CARD' || method === 'PAYPAL' ? 'payment_clearing' : 'bank',
    processedAt: new Date(order.processed_at ?? order.created_at).toISOString(), reference: `${order.name} via ${gateway}`.slice(0, 200),
    applications: [{ invoiceId: invoice.id, amount: Math.min(amount, invoice.balance) }].filter((a) => a.amount > 0),
    metadata: { shopifyOrderId: String(order.id), shopifyGateway: gateway.slice(0, 100) },
  });
  return payment.id;
}

/** Shopify's refunds of the order, as far as the books do not have them yet: a refund of the payment and a credit note on the invoice. */
async function refundsFor(ctx: ShopifyContext, order: ShopifyOrder, invoice: Invoice, paymentId: string | undefined): Promise<number> {
  const refunded = (order.refunds ?? []).flatMap((r) => r.transactions).filter((t) => t.kind === 'refund' && t.status === 'success').reduce((total, t) => total + minor(t.amount), 0);
  if (refunded === 0 || !paymentId) return 0;
  const reason = (order.refunds ?? []).map((r) => r.note).filter(Boolean).join('; ').slice(0, 500) || `Refunded on Shopify (${order.name})`;
  const payment = await ctx.entities.payments.get(paymentId);
  const due = Math.min(refunded, payment?.amount ?? 0) - (payment?.amountRefunded ?? 0);
  if (due > 0) await ctx.entities.payments.refund(paymentId, { amount: due, reason });
  const current = (await ctx.entities.invoices.get(invoice.id)) ?? invoice;
  const credit = Math.min(refunded - current.amountCredited, current.balance);
  if (credit > 0) await ctx.entities.creditNotes.create({ invoiceId: invoice.id, amount: credit, reason });
  return due > 0 ? 1 : 0;
}

/** Imports one paid order (customer, invoice, payment, refunds); safe to repeat. */
export async function importOrder(ctx: ShopifyContext, order: ShopifyOrder): Promise<'created' | 'updated' | 'skipped'> {
  if (!PAID.has(order.financial_status)) return 'skipped';
  const customerId = await customerFor(ctx, order);
  const { invoice, created } = await invoiceFor(ctx, order, customerId);
  const paymentId = await paymentFor(ctx, order, invoice, created);
  const refunds = await refundsFor(ctx, order, invoice, paymentId);
  return created ? 'created' : refunds > 0 ? 'updated' : 'skipped';
}

/** Paid orders changed since the cursor (all of them on a full run), oldest change first; the cursor moves as pages are done. */
export async function pullOrders(ctx: ShopifyContext, job: SyncJob): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0 };
  const saved = job.full ? undefined : ((await ctx.syncState.get(CURSOR)) as string | undefined);
  const since = saved ?? (job.full ? undefined : job.since ?? undefined);
  let high = since;
  const query: Record<string, string | number> = { status: 'any', limit: 250, order: 'updated_at asc', ...(since ? { updated_at_min: since } : {}) };
  const api = shopifyClient(ctx);
  let page = await api.get<ShopifyOrder>('orders', 'orders', query);
  for (;;) {
    // A page's orders are imported a few at a time; the ones that share a customer or a tax rate share its lookup.
    await inParallel(page.items, CONCURRENCY, async (order) => {
      if (ctx.signal.aborted) return;
      try {
        result[await importOrder(ctx, order)] += 1;
      } catch (error) {
        result.failed += 1;
        if ((result.errors ??= []).length < 20) result.errors.push({ externalId: String(order.id), message: (error as Error).message });
      }
    });
    for (const order of page.items) if (!high || order.updated_at > high) high = order.updated_at;
    if (ctx.signal.aborted) break;
    // The cursor moves only while every order so far was imported: a failed one is read again next time.
    if (result.failed === 0 && high) await ctx.syncState.set(CURSOR, high);
    if (!page.next) break;
    page = await api.get<ShopifyOrder>(page.next.path, 'orders', page.next.query);
  }
  ctx.logger.info('orders pulled', { created: result.created, updated: result.updated, skipped: result.skipped, failed: result.failed });
  return result;
}
