import type { Address, CurrencyCode, CustomerTier } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class CustomerModel extends TenantModel {
  static override tableName = 'customers';
  id!: string;
  firstName!: string | null;
  lastName!: string | null;
  businessName!: string | null;
  email!: string | null;
  phone!: string | null;
  tier!: CustomerTier;
  currency!: CurrencyCode;
  billingAddress!: Address | null;
  status!: 'ACTIVE' | 'INACTIVE';
  metadata!: Record<string, string>;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;
}
