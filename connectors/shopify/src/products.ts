import { ConnectorEntityError, type Product, type SyncResult } from '@uah/connector-sdk';
import { minor, shopifyClient, type ShopifyApi, type ShopifyContext } from './api.js';
import type { ShopifyInventoryLevel, ShopifyLocation, ShopifyProduct, ShopifyVariant } from './types.js';

const PAGE = 250;

/** The SKU a variant is known by here: its own, or one made from its id when Shopify has none. */
export const skuOf = (variant: ShopifyVariant): string => {
  const sku = variant.sku?.trim();
  return sku && /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(sku) && sku.length <= 64 ? sku : `SHOPIFY-${variant.id}`;
};

const plainText = (html: string | null): string | undefined => {
  const text = (html ?? '').replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 2000) : undefined;
};

function wanted(product: ShopifyProduct, variant: ShopifyVariant) {
  const named = product.variants.length > 1 || (variant.title && variant.title !== 'Default Title') ? `${product.title} - ${variant.title}` : product.title;
  const description = plainText(product.body_html);
  return {
    name: named.slice(0, 200),
    ...(description ? { description } : {}),
    unitPrice: minor(variant.price),
    active: product.status ? product.status === 'active' : product.published_at !== null,
    tracked: variant.inventory_management === 'shopify',
  };
}

/** Finds our product of a variant: by the mapping first (generated SKUs), then by SKU; links what it finds. */
async function ours(ctx: ShopifyContext, variant: ShopifyVariant, sku: string): Promise<Product | undefined> {
  const mapped = await ctx.mappings.internalIdOf('product', String(variant.id));
  if (mapped) {
    const product = await ctx.entities.products.get(mapped);
    if (product) return product;
  }
  const bySku = (await ctx.entities.products.list({ sku, limit: 1 })).data[0];
  if (bySku) {
    await ctx.mappings.link('product', bySku.id, String(variant.id));
    if (variant.inventory_item_id) await ctx.mappings.link('inventory_item', bySku.id, String(variant.inventory_item_id));
  }
  return bySku;
}

/** Creates or updates our product for one variant; answers what it did. */
export async function upsertVariant(ctx: ShopifyContext, product: ShopifyProduct, variant: ShopifyVariant): Promise<'created' | 'updated' | 'skipped'> {
  const sku = skuOf(variant);
  const want = wanted(product, variant);
  const existing = await ours(ctx, variant, sku);
  const metadata = { shopifyProductId: String(product.id), shopifyVariantId: String(variant.id), ...(variant.inventory_item_id ? { shopifyInventoryItemId: String(variant.inventory_item_id) } : {}) };
  if (!existing) {
    try {
      const created = await ctx.entities.products.create({
        sku, name: want.name, ...(want.description ? { description: want.description } : {}), unitPrice: want.unitPrice,
        type: want.tracked ? 'INVENTORY' : 'NON_INVENTORY', trackInventory: want.tracked, metadata,
      });
      await ctx.mappings.link('product', created.id, String(variant.id));
      if (variant.inventory_item_id) await ctx.mappings.link('inventory_item', created.id, String(variant.inventory_item_id));
      if (!want.active) await ctx.entities.products.update(created.id, { active: false });
      return 'created';
    } catch (error) {
      // Made by a concurrent run (a webhook during a sync): take that one.
      if (!(error instanceof ConnectorEntityError && error.code === 'DUPLICATE_SKU')) throw error;
      const again = await ours(ctx, variant, sku);
      if (!again) throw error;
      return 'skipped';
    }
  }
  const same = existing.name === want.name && (existing.description ?? undefined) === want.description && existing.unitPrice === want.unitPrice && existing.active === want.active;
  if (same) return 'skipped';
  await ctx.entities.products.update(existing.id, { name: want.name, description: want.description ?? null, unitPrice: want.unitPrice, active: want.active, metadata });
  return 'updated';
}

/** Sets our stock of a tracked product to Shopify's `available` (summed over locations) by an adjustment of the difference. */
export async function applyLevel(ctx: ShopifyContext, productId: string, available: number): Promise<boolean> {
  const level = await ctx.entities.inventory.stockLevel(productId);
  const difference = available - Number(level.quantityOnHand);
  if (difference === 0) return false;
  await ctx.entities.inventory.adjust({ productId, quantityChange: String(difference), reason: 'STOCK_COUNT', note: 'Inventory level at Shopify' });
  return true;
}

/** Σ available per inventory item, over every active location. */
async function levels(api: ShopifyApi): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for await (const location of api.all<ShopifyLocation>('locations', 'locations')) {
    if (location.active === false) continue;
    for await (const level of api.all<ShopifyInventoryLevel>('inventory_levels', 'inventory_levels', { location_ids: String(location.id), limit: PAGE })) {
      const item = String(level.inventory_item_id);
      totals.set(item, (totals.get(item) ?? 0) + (level.available ?? 0));
    }
  }
  return totals;
}

/**
 * Every product of the store, page after page, each variant a product here (matched by SKU, or by the
 * mapping for variants without one); then the inventory levels of the tracked ones as adjustments.
 * Running it again changes nothing.
 */
export async function pullProducts(ctx: ShopifyContext): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0 };
  const api = shopifyClient(ctx);
  const tracked = new Map<string, string>();
  for await (const product of api.all<ShopifyProduct>('products', 'products', { limit: PAGE })) {
    if (ctx.signal.aborted) break;
    for (const variant of product.variants) {
      try {
        result[await upsertVariant(ctx, product, variant)] += 1;
        if (variant.inventory_management === 'shopify' && variant.inventory_item_id) {
          const id = await ctx.mappings.internalIdOf('product', String(variant.id));
          if (id) tracked.set(String(variant.inventory_item_id), id);
        }
      } catch (error) {
        result.failed += 1;
        if ((result.errors ??= []).length < 20) result.errors.push({ externalId: String(variant.id), message: (error as Error).message });
      }
    }
  }
  let adjusted = 0;
  for (const [item, available] of await levels(api)) {
    const productId = tracked.get(item);
    if (!productId) continue;
    try {
      if (await applyLevel(ctx, productId, available)) adjusted += 1;
    } catch (error) {
      result.failed += 1;
      if ((result.errors ??= []).length < 20) result.errors.push({ externalId: item, internalId: productId, message: (error as Error).message });
    }
  }
  ctx.logger.info('products pulled', { created: result.created, updated: result.updated, skipped: result.skipped, stockAdjusted: adjusted });
  return result;
}
