import type { CurrencyCode, Product } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class TaxRateModel extends TenantModel {
  static override tableName = 'tax_rates';
  id!: string;
  name!: string;
  basisPoints!: number;
  accountId!: string;
  active!: boolean;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ProductModel extends TenantModel {
  static override tableName = 'products';
  id!: string;
  sku!: string;
  name!: string;
  description!: string | null;
  type!: Product['type'];
  unitPrice!: number;
  unitCost!: number | null;
  currency!: CurrencyCode;
  taxRateId!: string | null;
  incomeAccountId!: string | null;
  active!: boolean;
  trackInventory!: boolean;
  /** numeric(13, 4): a decimal string from the driver. */
  reorderPoint!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}
