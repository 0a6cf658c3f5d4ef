import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The official sample objects (Shopify/shopify_python_api test fixtures), the shapes the emulator answers with. */
export const FIXTURES = '/work/shared/fixtures/providers/shopify/shopify_python_api';
const fixture = <T>(name: string, key: string): T => (JSON.parse(readFileSync(join(process.env['SHOPIFY_FIXTURES'] ?? FIXTURES, `${name}.json`), 'utf8')) as Record<string, T>)[key] as T;
export const SAMPLE = {
  product: fixture<Record<string, unknown> & { variants: Array<Record<string, unknown>> }>('product', 'product'),
  variant: fixture<Record<string, unknown>>('variant', 'variant'),
  order: fixture<Record<string, unknown> & { line_items: Array<Record<string, unknown>> }>('order', 'order'),
  refund: fixture<Record<string, unknown> & { transactions: Array<Record<string, unknown>> }>('refund', 'refund'),
  inventoryLevel: fixture<Record<string, unknown>>('inventory_level', 'inventory_level'),
  location: fixture<Record<string, unknown>>('location', 'location'),
  customer: fixture<Record<string, unknown>>('customer', 'customer'),
};

const clone = <T>(value: T): T => structuredClone(value);
const money = (cents: number): string => (cents / 100).toFixed(2);
/** Half away from zero, as Shopify and the books both round a line's tax. */
const roundHalfAway = (value: number): number => Math.sign(value) * Math.round(Math.abs(value));

export type Obj = Record<string, unknown>;

/** A store's content made from the sample objects: `products` products with 1–2 variants, `orders` orders over them. */
export interface StoreData {
  products: Obj[];
  orders: Obj[];
  locations: Obj[];
  levels: Obj[];
}

export function makeProduct(i: number, options: { withoutSku?: boolean } = {}): Obj {
  const product = clone(SAMPLE.product);
  const id = 7_000_000 + i;
  const variants = (i % 5 === 0 ? [0, 1] : [0]).map((v) => {
    const variant = { ...clone(SAMPLE.variant), ...clone(SAMPLE.product.variants[0] ?? {}) };
    const variantId = 8_000_000 + i * 2 + v;
    Object.assign(variant, {
      id: variantId, product_id: id, title: v === 0 ? (i % 5 === 0 ? 'Small' : 'Default Title') : 'Large', option1: v === 0 ? 'Small' : 'Large',
      sku: options.withoutSku || i % 50 === 7 ? '' : `SKU-${i}-${v}`, price: money(1000 + (i % 40) * 125 + v * 500),
      inventory_item_id: 9_000_000 + i * 2 + v, inventory_management: i % 3 === 0 ? null : 'shopify', inventory_quantity: 10 + (i % 7),
      position: v + 1, updated_at: '2026-11-01T10:00:00-05:00',
    });
    return variant;
  });
  Object.assign(product, {
    id, title: `Product ${i}`, handle: `product-${i}`, body_html: `<p>The <strong>${i}</strong> product</p>`, status: i % 17 === 0 ? 'archived' : 'active',
    published_at: '2026-11-01T10:00:00-05:00', updated_at: '2026-11-01T10:00:00-05:00', variants, images: [],
  });
  return product;
}

/** An order of 1–3 lines of the given products, 6% state tax per line, some with a discount, shipping, a refund. */
export function makeOrder(i: number, products: Obj[]): Obj {
  const order = clone(SAMPLE.order);
  const id = 5_000_000 + i;
  const items: Obj[] = [];
  for (let k = 0; k < 1 + (i % 3); k += 1) {
    const product = products[(i * 7 + k * 13) % products.length] as { title: string; variants: Array<{ id: number; sku: string; price: string; title: string }> };
    const variant = product.variants[0]!;
    const quantity = 1 + ((i + k) % 3);
    const gross = Math.round(Number(variant.price) * 100) * quantity;
    const discount = i % 4 === 0 && k === 0 ? 250 : 0;
    const tax = roundHalfAway(((gross - discount) * 600) / 10_000);
    items.push({
      ...clone(SAMPLE.order.line_items[0] ?? {}), id: 6_000_000 + i * 3 + k, title: product.title, name: product.title, sku: variant.sku || null, variant_id: variant.id,
      product_id: (product as unknown as { id: number }).id, quantity, price: variant.price, total_discount: money(discount),
      discount_allocations: discount ? [{ amount: money(discount), discount_application_index: 0 }] : [],
      tax_lines: [{ title: 'State Tax', price: money(tax), rate: 0.06 }],
      _gross: gross, _discount: discount, _tax: tax,
    });
  }
  const shipping = i % 2 === 0 ? 500 : 0;
  const subtotal = items.reduce((t, l) => t + (l['_gross'] as number) - (l['_discount'] as number), 0);
  const tax = items.reduce((t, l) => t + (l['_tax'] as number), 0);
  const total = subtotal + tax + shipping;
  for (const line of items) for (const k of ['_gross', '_discount', '_tax']) delete line[k];
  const day = String(1 + (i % 28)).padStart(2, '0');
  const updated = new Date(Date.UTC(2026, 10, 1, 0, 0, 0) + i * 60_000).toISOString();
  const paid = i % 25 !== 24;
  const refunded = paid && i % 10 === 3;
  const firstLine = items[0] as { price: string; quantity: number; tax_lines: Array<{ price: string }>; total_discount: string };
  const refundAmount = Math.round(Number(firstLine.price) * 100) - (firstLine.quantity === 1 ? Math.round(Number(firstLine.total_discount) * 100) : 0);
  const email = `buyer${i % 300}@example.com`;
  Object.assign(order, {
    id, name: `#${1000 + i}`, number: i, order_number: 1000 + i, email, currency: 'USD', taxes_included: false,
    financial_status: refunded ? 'partially_refunded' : paid ? 'paid' : 'pending', gateway: i % 9 === 0 ? 'paypal' : 'shopify_payments',
    payment_gateway_names: [i % 9 === 0 ? 'paypal' : 'shopify_payments'],
    created_at: `2026-11-${day}T09:00:00-05:00`, processed_at: `2026-11-${day}T09:00:00-05:00`, updated_at: updated,
    line_items: items, subtotal_price: money(subtotal), total_line_items_price: money(subtotal), total_tax: money(tax), total_price: money(total),
    total_discounts: money(items.reduce((t, l) => t + Math.round(Number((l as { total_discount: string }).total_discount) * 100), 0)),
    tax_lines: [{ price: money(tax), rate: 0.06, title: 'State Tax' }], discount_codes: i % 4 === 0 ? [{ code: 'TENOFF', amount: '2.50', type: 'fixed_amount' }] : [],
    shipping_lines: shipping ? [{ code: 'Standard', price: money(shipping), discounted_price: money(shipping), source: 'shopify', title: 'Standard', tax_lines: [] }] : [],
    customer: { ...clone(SAMPLE.customer), id: 4_000_000 + (i % 300), email, first_name: 'Buyer', last_name: String(i % 300) },
    refunds: refunded ? [{ ...clone(SAMPLE.refund), id: 3_000_000 + i, order_id: id, note: 'Returned', created_at: updated, transactions: [{ ...clone(SAMPLE.refund.transactions[0] ?? {}), id: 2_000_000 + i, order_id: id, amount: money(refundAmount), kind: 'refund', status: 'success', gateway: 'shopify_payments' }] }] : [],
  });
  return order;
}

/** Levels of every tracked variant at two locations. */
export function makeStore(productCount: number, orderCount: number): StoreData {
  const products = Array.from({ length: productCount }, (_, i) => makeProduct(i));
  const orders = Array.from({ length: orderCount }, (_, i) => makeOrder(i, products));
  const locations = [1, 2].map((n) => ({ ...clone(SAMPLE.location), id: 600 + n, name: `Location ${n}`, active: true }));
  const levels: Obj[] = [];
  for (const product of products) {
    for (const variant of product['variants'] as Array<{ inventory_item_id: number; inventory_management: string | null; inventory_quantity: number }>) {
      if (variant.inventory_management !== 'shopify') continue;
      for (const location of locations) levels.push({ ...clone(SAMPLE.inventoryLevel), inventory_item_id: variant.inventory_item_id, location_id: location.id, available: Math.floor(variant.inventory_quantity / 2), updated_at: '2026-11-01T10:00:00-05:00' });
    }
  }
  return { products, orders, locations, levels };
}
