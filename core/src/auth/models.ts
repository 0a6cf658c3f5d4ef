import { Model } from 'objection';
import type { ApiKeyScope, CurrencyCode, OrganizationTier } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class OrganizationModel extends Model {
  static override tableName = 'organizations';
  id!: string;
  name!: string;
  baseCurrency!: CurrencyCode;
  tier!: OrganizationTier;
  rateLimit!: number | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ApiKeyModel extends TenantModel {
  static override tableName = 'api_keys';
  id!: string;
  name!: string;
  scopes!: ApiKeyScope[];
  prefix!: string;
  secretHash!: string;
  rateLimit!: number | null;
  lastUsedAt!: Date | null;
  revokedAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}
