import type { CustomerCreate } from '@uah/connector-sdk';
import type { ShopifyContext } from './api.js';
import { memo } from './memo.js';
import type { ShopifyOrder } from './types.js';

const clip = (value: string | null | undefined, max: number): string | undefined => (value?.trim() ? value.trim().slice(0, max) : undefined);

/** The customer of an order: by Shopify customer id (mapping), then by email, else created and linked. */
export function customerFor(ctx: ShopifyContext, order: ShopifyOrder): Promise<string> {
  const externalId = order.customer ? `customer:${order.customer.id}` : `order:${order.id}`;
  return memo(ctx, externalId, () => findOrCreate(ctx, order, externalId));
}

async function findOrCreate(ctx: ShopifyContext, order: ShopifyOrder, externalId: string): Promise<string> {
  const remote = order.customer ?? null;
  const mapped = await ctx.mappings.internalIdOf('customer', externalId);
  if (mapped) return mapped;
  const email = clip(remote?.email ?? order.email, 254);
  const byEmail = email ? (await ctx.entities.customers.list({ email, limit: 1 })).data[0] : undefined;
  if (byEmail) {
    await ctx.mappings.link('customer', byEmail.id, externalId);
    return byEmail.id;
  }
  const billing = order.billing_address ?? null;
  const firstName = clip(remote?.first_name ?? billing?.first_name, 100);
  const lastName = clip(remote?.last_name ?? billing?.last_name, 100);
  const input: CustomerCreate = {
    ...(firstName ? { firstName } : {}), ...(lastName ? { lastName } : {}), ...(email ? { email } : {}),
    ...(!firstName && !lastName && !email ? { businessName: `Shopify customer of ${order.name}` } : {}),
    currency: order.currency as NonNullable<CustomerCreate['currency']>,
    metadata: remote ? { shopifyCustomerId: String(remote.id) } : { shopifyOrderId: String(order.id) },
  };
  const created = await ctx.entities.customers.create(input);
  await ctx.mappings.link('customer', created.id, externalId);
  return created.id;
}
