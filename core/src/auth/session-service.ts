import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { OrganizationTier, ApiKeyScope, Session } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import type { AuthenticatedKey } from './api-key-service.js';
import { randomToken, sha256 } from './secrets.js';

/** The key a session acts as, and the session itself. */
export interface AuthenticatedSession extends AuthenticatedKey {
  sessionId: string;
  createdAt: string;
  expiresAt: string;
}

export interface SessionService {
  /** A new session acting as `key`; the secret goes into the cookie and nowhere else. */
  create(key: AuthenticatedKey): Promise<{ secret: string; session: Session }>;
  /** The session a cookie's secret belongs to: not expired, not revoked, and its key not revoked. One query. */
  authenticate(secret: string): Promise<AuthenticatedSession | undefined>;
  /** The session as the API shows it, with the CSRF token that goes with the secret. */
  describe(session: AuthenticatedSession, secret: string): Session;
  /** Ends the session at once on this process (other processes within the cache time). */
  revoke(session: AuthenticatedSession): Promise<void>;
}

export const SESSION_SECRET_PREFIX = 'uah_ses_';
/** How long a session lasts from sign-in. @default 12 hours */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** As for API keys: a looked-up session is trusted this long before it is read again. */
const CACHE_MS = 2_000;
/** Sessions past their expiry by this long are deleted when another one is made. */
const PURGE_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The CSRF token of a session: derived from its secret (HMAC with a label), so it needs no storage, is
 * worthless without the cookie, and cannot be computed by a page that cannot read the HttpOnly cookie.
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('uah.csrf.v1').digest('base64url');
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfTokenMatches(secret: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

interface SessionRow {
  id: string;
  organizationId: string;
  apiKeyId: string;
  scopes: ApiKeyScope[];
  createdAt: Date | string;
  expiresAt: Date | string;
  keyRateLimit: number | null;
  tier: OrganizationTier;
  organizationRateLimit: number | null;
}

const iso = (value: Date | string): string => new Date(value).toISOString();

export function createSessionService(deps: { knex: Knex; ttlMs?: number }): SessionService {
  const ttlMs = deps.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const cache = new Map<string, { session: AuthenticatedSession | undefined; until: number }>();

  function describe(session: AuthenticatedSession, secret: string): Session {
    return {
      object: 'session',
      organizationId: session.organizationId,
      apiKeyId: session.id,
      scopes: session.scopes,
      csrfToken: csrfTokenOf(secret),
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
    };
  }

  return {
    describe,

    async create(key) {
      const secret = `${SESSION_SECRET_PREFIX}${randomToken(32)}`;
      const now = Date.now();
      await deps.knex('sessions').where('expires_at', '<', new Date(now - PURGE_AFTER_MS)).delete();
      const rows: Array<{ id: string; createdAt: Date; expiresAt: Date }> = await deps.knex('sessions')
        .insert({ id: newId('ses'), organization_id: key.organizationId, api_key_id: key.id, secret_hash: sha256(secret), expires_at: new Date(now + ttlMs) })
        .returning(['id', 'created_at', 'expires_at']);
      const row = rows[0];
      if (!row) throw new Error('the session was not stored');
      const session: AuthenticatedSession = { ...key, sessionId: row.id, createdAt: iso(row.createdAt), expiresAt: iso(row.expiresAt) };
      return { secret, session: describe(session, secret) };
    },

    async authenticate(secret) {
      if (!secret.startsWith(SESSION_SECRET_PREFIX) || secret.length > 200) return undefined;
      const hash = sha256(secret);
      const cached = cache.get(hash);
      if (cached && cached.until > Date.now() && (!cached.session || Date.parse(cached.session.expiresAt) > Date.now())) return cached.session;
      const row = (await deps.knex('sessions as s')
        .join('api_keys as k', 'k.id', 's.api_key_id')
        .join('organizations as o', 'o.id', 's.organization_id')
        .select('s.id', 's.organization_id', 's.api_key_id', 'k.scopes', 's.created_at', 's.expires_at', 'k.rate_limit as keyRateLimit', 'o.tier', 'o.rate_limit as organizationRateLimit')
        .where('s.secret_hash', hash)
        .whereNull('s.revoked_at')
        .whereNull('k.revoked_at')
        .where('s.expires_at', '>', deps.knex.fn.now())
        .first()) as SessionRow | undefined;
      const session = row
        ? { id: row.apiKeyId, organizationId: row.organizationId, scopes: row.scopes, rateLimits: { tier: row.tier, organization: row.organizationRateLimit, key: row.keyRateLimit }, sessionId: row.id, createdAt: iso(row.createdAt), expiresAt: iso(row.expiresAt) }
        : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { session, until: Date.now() + CACHE_MS });
      return session;
    },

    async revoke(session) {
      await deps.knex('sessions').where({ id: session.sessionId, organization_id: session.organizationId }).whereNull('revoked_at').update({ revoked_at: deps.knex.fn.now() });
      for (const [hash, entry] of cache) if (entry.session?.sessionId === session.sessionId) cache.delete(hash);
    },
  };
}
