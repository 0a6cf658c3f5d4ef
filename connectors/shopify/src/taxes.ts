import type { ShopifyContext } from './api.js';
import { memo } from './memo.js';
import type { ShopifyTaxLine } from './types.js';

/**
 * The tax rate of a line: Shopify's tax lines of it (one or several jurisdictions) summed into one rate,
 * found by its mapping (`Shopify:<titles>@<basis points>`) or created once.
 */
export async function taxRateFor(ctx: ShopifyContext, taxes: ShopifyTaxLine[] = []): Promise<string | null> {
  const applied = taxes.filter((t) => Number(t.rate) > 0);
  if (applied.length === 0) return null;
  const basisPoints = Math.round(applied.reduce((total, t) => total + Number(t.rate), 0) * 10_000);
  const titles = applied.map((t) => t.title).join(' + ');
  const key = `${titles}@${basisPoints}`;
  return memo(ctx, `tax:${key}`, () => findOrCreate(ctx, key, titles, basisPoints));
}

async function findOrCreate(ctx: ShopifyContext, key: string, titles: string, basisPoints: number): Promise<string> {
  const mapped = await ctx.mappings.internalIdOf('tax_rate', key);
  if (mapped) return mapped;
  const created = await ctx.entities.taxRates.create({ name: `Shopify ${titles} ${basisPoints / 100}%`.slice(0, 100), basisPoints, metadata: { shopifyTax: key.slice(0, 200) } });
  await ctx.mappings.link('tax_rate', created.id, key);
  return created.id;
}
