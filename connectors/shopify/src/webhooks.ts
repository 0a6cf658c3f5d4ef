import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookResponse, WebhookVerification } from '@uah/connector-sdk';
import { shopifyClient, type ShopifyContext } from './api.js';
import { importOrder } from './orders.js';
import { applyLevel, upsertVariant } from './products.js';
import type { ShopifyInventoryLevel, ShopifyOrder, ShopifyProduct, ShopifyRefund } from './types.js';

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Base64 HMAC-SHA256 of the exact body with the app's secret, as Shopify signs `X-Shopify-Hmac-Sha256`. */
export function shopifySignature(rawBody: Uint8Array | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/** Accepts a webhook only when its `X-Shopify-Hmac-Sha256` matches the body; deduped by `X-Shopify-Webhook-Id`. */
export function verifyShopifyWebhook(ctx: ShopifyContext, request: WebhookRequest): WebhookVerification {
  const secret = ctx.credentials.webhookSecret;
  const given = request.headers['x-shopify-hmac-sha256'];
  if (!secret || !given) return false;
  const expected = Buffer.from(shopifySignature(request.rawBody, secret));
  const received = Buffer.from(given);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) return false;
  const id = request.headers['x-shopify-webhook-id'] ?? request.headers['x-shopify-event-id'];
  return id ? { eventId: id } : true;
}

type Handler = (ctx: ShopifyContext, payload: unknown) => Promise<WebhookResponse>;

/** What each topic does; a topic not listed is answered and ignored. */
const TOPICS: Record<string, Handler> = {
  'orders/paid': async (ctx, payload) => ({ body: { order: await importOrder(ctx, payload as ShopifyOrder) } }),
  'refunds/create': async (ctx, payload) => {
    // The refund alone lacks the order's lines and totals: read the order as it is now.
    const refund = payload as ShopifyRefund;
    const { items } = await shopifyClient(ctx).get<ShopifyOrder>(`orders`, 'orders', { ids: String(refund.order_id), status: 'any' });
    const order = items[0];
    if (!order) return { body: { ignored: `order ${refund.order_id} not found` } };
    return { body: { order: await importOrder(ctx, order) } };
  },
  'products/update': async (ctx, payload) => {
    const product = payload as ShopifyProduct;
    const done: string[] = [];
    for (const variant of product.variants) done.push(await upsertVariant(ctx, product, variant));
    return { body: { variants: done } };
  },
  'inventory_levels/update': async (ctx, payload) => {
    const level = payload as ShopifyInventoryLevel;
    const productId = await ctx.mappings.internalIdOf('inventory_item', String(level.inventory_item_id));
    if (!productId) return { body: { ignored: 'unknown inventory item' } };
    // The webhook names one location; the books hold the store's total, so every location is read.
    let available = 0;
    for await (const l of shopifyClient(ctx).all<ShopifyInventoryLevel>('inventory_levels', 'inventory_levels', { inventory_item_ids: String(level.inventory_item_id) })) available += l.available ?? 0;
    return { body: { adjusted: await applyLevel(ctx, productId, available) } };
  },
};

export async function handleShopifyWebhook(ctx: ShopifyContext, request: WebhookRequest): Promise<WebhookResponse> {
  const topic = request.headers['x-shopify-topic'] ?? '';
  const handler = Object.hasOwn(TOPICS, topic) ? TOPICS[topic] : undefined;
  if (!handler) return { body: { ignored: topic } };
  return handler(ctx, JSON.parse(decode(request.rawBody)) as unknown);
}
