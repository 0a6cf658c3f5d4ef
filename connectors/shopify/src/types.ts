/** The Admin REST API's resources, as far as the connector reads them (field names as Shopify spells them). */
export interface ShopifyVariant {
  id: string;
  product_id: string;
  title: string;
  sku: string | null;
  price: string;
  inventory_item_id?: string;
  inventory_management?: string | null;
  inventory_quantity?: number;
}
export interface ShopifyProduct {
  id: string;
  title: string;
  body_html: string | null;
  status?: 'active' | 'archived' | 'draft';
  published_at?: string | null;
  updated_at: string;
  variants: ShopifyVariant[];
}
export interface ShopifyTaxLine {
  title: string;
  price: string;
  rate: number;
}
export interface ShopifyLineItem {
  id: string;
  title: string;
  name?: string;
  sku: string | null;
  variant_id: string | null;
  quantity: number;
  price: string;
  total_discount?: string;
  discount_allocations?: Array<{ amount: string }>;
  tax_lines?: ShopifyTaxLine[];
}
export interface ShopifyShippingLine {
  title: string;
  price: string;
  discounted_price?: string;
  tax_lines?: ShopifyTaxLine[];
}
export interface ShopifyAddress {
  first_name?: string | null;
  last_name?: string | null;
  company?: string | null;
  address1?: string | null;
  city?: string | null;
  zip?: string | null;
  country_code?: string | null;
}
export interface ShopifyCustomer {
  id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
}
export interface ShopifyTransaction {
  id: string;
  order_id: string;
  kind: 'authorization' | 'capture' | 'sale' | 'void' | 'refund';
  status: 'pending' | 'failure' | 'success' | 'error';
  amount: string;
  gateway: string;
  created_at: string;
  processed_at?: string;
}
export interface ShopifyRefund {
  id: string;
  order_id: string;
  created_at: string;
  note: string | null;
  transactions: ShopifyTransaction[];
}
export interface ShopifyOrder {
  id: string;
  name: string;
  order_number: number;
  email: string | null;
  currency: string;
  financial_status: string;
  created_at: string;
  processed_at?: string;
  updated_at: string;
  total_price: string;
  taxes_included: boolean;
  gateway?: string;
  payment_gateway_names?: string[];
  customer?: ShopifyCustomer | null;
  billing_address?: ShopifyAddress | null;
  line_items: ShopifyLineItem[];
  shipping_lines: ShopifyShippingLine[];
  refunds?: ShopifyRefund[];
}
export interface ShopifyInventoryLevel {
  inventory_item_id: string;
  location_id: string;
  available: number | null;
  updated_at: string;
}
export interface ShopifyLocation {
  id: string;
  name: string;
  active?: boolean;
}
