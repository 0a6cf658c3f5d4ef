import type { LedgerContext } from './types.js';

/**
 * The last known ledger context (base currency, lock date, the accounts used so far) per organization,
 * so a posting costs one round trip. It is never trusted blindly: a posting checks, in its own
 * statement, that the organization's chart version (bumped by the database on every account or lock
 * date change) is still the one seen here, and is prepared again from fresh data when it is not; an
 * entry refused on cached data is checked again on fresh data before the refusal is reported. Changes
 * made by this process drop the entry at once.
 */
export interface ContextCache {
  peek(organizationId: string): LedgerContext | undefined;
  /** Keeps a freshly read context; accounts read at the same chart version add up. */
  set(organizationId: string, context: LedgerContext): LedgerContext;
  invalidate(organizationId: string): void;
}

export function createContextCache(maxOrganizations = 1000): ContextCache {
  const entries = new Map<string, LedgerContext>();
  return {
    peek: (organizationId) => entries.get(organizationId),
    set(organizationId, fresh) {
      const known = entries.get(organizationId);
      const context = known?.chartVersion === fresh.chartVersion ? { ...fresh, accounts: [...new Map([...known.accounts, ...fresh.accounts].map((a) => [a.id, a])).values()] } : fresh;
      entries.delete(organizationId);
      entries.set(organizationId, context);
      // Oldest first: a Map iterates in insertion order.
      for (const key of entries.keys()) {
        if (entries.size <= maxOrganizations) break;
        entries.delete(key);
      }
      return context;
    },
    invalidate: (organizationId) => void entries.delete(organizationId),
  };
}
