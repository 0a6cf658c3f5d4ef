import { Model } from 'objection';
import type { ApiKeyScope, CurrencyCode } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';

export class OrganizationModel extends Model {
  static override tableName = 'organizations';
  id!: string;
  name!: string;
  baseCurrency!: CurrencyCode;
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
  lastUsedAt!: Date | null;
  revokedAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}
