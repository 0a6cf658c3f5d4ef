import type { Knex } from 'knex';
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyScope } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { notFound } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import { ApiKeyModel } from './models.js';
import { newApiKeySecret, sha256 } from './secrets.js';
import type { KeyRateLimits } from './tiers.js';

export interface AuthenticatedKey {
  id: string;
  organizationId: string;
  scopes: ApiKeyScope[];
  /** The organization's tier and the limits set on it and on the key (read with the key, so no extra query). */
  rateLimits?: KeyRateLimits;
}

export interface ApiKeyService {
  create(organizationId: string, input: ApiKeyCreate, trx?: Knex.Transaction): Promise<ApiKeyCreated>;
  list(organizationId: string, query: { limit?: number; cursor?: string }): Promise<Page<ApiKey>>;
  revoke(organizationId: string, id: string): Promise<ApiKey>;
  /** The key a secret belongs to, if it exists and is not revoked. */
  authenticate(secret: string): Promise<AuthenticatedKey | undefined>;
}

/** How long a looked-up key is trusted before it is read again (a revocation elsewhere applies within this). */
const CACHE_MS = 2_000;
/** `last_used_at` is written at most this often per key, so reads cost no extra write. */
const LAST_USED_EVERY_MS = 60_000;

export function toApiKey(row: ApiKeyModel): ApiKey {
  return {
    id: row.id,
    object: 'api_key',
    organizationId: row.organizationId,
    name: row.name,
    scopes: row.scopes,
    prefix: row.prefix,
    rateLimit: row.rateLimit ?? null,
    lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt).toISOString() : null,
    revokedAt: row.revokedAt ? new Date(row.revokedAt).toISOString() : null,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createApiKeyService(deps: { knex: Knex }): ApiKeyService {
  const cache = new Map<string, { key: AuthenticatedKey | undefined; until: number }>();
  const lastUsedWritten = new Map<string, number>();

  function touch(key: AuthenticatedKey): void {
    const now = Date.now();
    if ((lastUsedWritten.get(key.id) ?? 0) > now - LAST_USED_EVERY_MS) return;
    lastUsedWritten.set(key.id, now);
    void ApiKeyModel.forOrganization(key.organizationId, deps.knex)
      .patch({ lastUsedAt: new Date() } as Partial<ApiKeyModel>)
      .where('id', key.id)
      .catch(() => lastUsedWritten.delete(key.id));
  }

  return {
    async create(organizationId, input, trx) {
      const secret = newApiKeySecret();
      const row = await ApiKeyModel.forOrganization(organizationId, trx ?? deps.knex).insertAndFetch({
        id: newId('key'),
        organizationId,
        name: input.name ?? 'API key',
        scopes: input.scopes ?? ['read', 'write'],
        prefix: secret.slice(0, 12),
        secretHash: sha256(secret),
        rateLimit: input.rateLimit ?? null,
      } as Partial<ApiKeyModel>);
      return { ...toApiKey(row), apiKey: secret, secret };
    },

    async list(organizationId, query) {
      const q = ApiKeyModel.forOrganization(organizationId, deps.knex);
      return fetchPage(q, query, toApiKey);
    },

    async revoke(organizationId, id) {
      const rows = await ApiKeyModel.forOrganization(organizationId, deps.knex)
        .patch({ revokedAt: new Date(), updatedAt: new Date() } as Partial<ApiKeyModel>)
        .where('id', id)
        .whereNull('revoked_at')
        .returning('*');
      const row = rows[0] ?? (await ApiKeyModel.forOrganization(organizationId, deps.knex).findById(id));
      if (!row) throw notFound('API key', id);
      for (const [hash, entry] of cache) if (entry.key?.id === id) cache.delete(hash);
      return toApiKey(row);
    },

    async authenticate(secret) {
      if (!secret.startsWith('uah_sk_') || secret.length > 200) return undefined;
      const hash = sha256(secret);
      const cached = cache.get(hash);
      if (cached && cached.until > Date.now()) {
        if (cached.key) touch(cached.key);
        return cached.key;
      }
      const row = (await deps.knex('api_keys as k')
        .join('organizations as o', 'o.id', 'k.organization_id')
        .select('k.id', 'k.organization_id', 'k.scopes', 'k.rate_limit as keyRateLimit', 'o.tier', 'o.rate_limit as organizationRateLimit')
        .where({ 'k.secret_hash': hash })
        .whereNull('k.revoked_at')
        .first()) as
        | { id: string; organizationId: string; scopes: ApiKeyScope[]; keyRateLimit: number | null; tier: KeyRateLimits['tier']; organizationRateLimit: number | null }
        | undefined;
      const key = row
        ? { id: row.id, organizationId: row.organizationId, scopes: row.scopes, rateLimits: { tier: row.tier, organization: row.organizationRateLimit, key: row.keyRateLimit } }
        : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { key, until: Date.now() + CACHE_MS });
      if (key) touch(key);
      return key;
    },
  };
}
