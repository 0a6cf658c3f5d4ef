import type { OrganizationTier, RateLimit } from '@uah/schemas';

export const ORGANIZATION_TIERS: readonly OrganizationTier[] = ['FREE', 'STANDARD', 'ENTERPRISE'];

/** Requests per window of one key by default, of each tier's organization (all its keys), and the window. */
export interface TierLimits {
  windowSeconds: number;
  key: number;
  tiers: Record<OrganizationTier, number>;
}

/**
 * From the hub's per-key limit (RATE_LIMIT): a FREE organization may make as many requests as one key, a
 * STANDARD one ten times that, an ENTERPRISE one a hundred times, unless configured (`RATE_LIMIT_FREE`,
 * `RATE_LIMIT_STANDARD`, `RATE_LIMIT_ENTERPRISE`).
 */
export function tierLimits(key: number, windowSeconds: number, configured: Partial<Record<OrganizationTier, number>> = {}): TierLimits {
  return {
    windowSeconds,
    key,
    tiers: { FREE: configured.FREE ?? key, STANDARD: configured.STANDARD ?? key * 10, ENTERPRISE: configured.ENTERPRISE ?? key * 100 },
  };
}

/** What an organization's row and a key's row say about limits, read with the key. */
export interface KeyRateLimits {
  tier: OrganizationTier;
  /** The organization's own limit set by an admin, instead of its tier's. */
  organization: number | null;
  /** The key's own limit; it never raises the organization's. */
  key: number | null;
}

export function organizationRateLimit(limits: TierLimits, tier: OrganizationTier, own: number | null): RateLimit {
  return own === null ? { limit: limits.tiers[tier], windowSeconds: limits.windowSeconds, source: 'TIER' } : { limit: own, windowSeconds: limits.windowSeconds, source: 'ORGANIZATION' };
}

/** The two limits a key's request is counted against: its organization's and its own (never above the first). */
export function effectiveLimits(limits: TierLimits, key: KeyRateLimits | undefined): { organization: number; key: number } {
  const organization = organizationRateLimit(limits, key?.tier ?? 'STANDARD', key?.organization ?? null).limit;
  return { organization, key: Math.min(organization, key?.key ?? limits.key) };
}
