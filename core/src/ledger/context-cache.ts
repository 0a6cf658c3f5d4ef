import type { LedgerContext } from './types.js';

/**
 * The last known ledger context (base currency, lock date, chart of accounts) per organization, so a
 * posting costs one round trip. It is never trusted blindly: a posting checks, in its own statement,
 * that the accounts it uses and the lock date are still as seen here, and is prepared again from fresh
 * data when they are not; an entry refused on cached data is checked again on fresh data before the
 * refusal is reported. Changes made by this process drop the entry at once.
 */
export interface ContextCache {
  peek(organizationId: string): LedgerContext | undefined;
  set(organizationId: string, context: LedgerContext): void;
  invalidate(organizationId: string): void;
}

export function createContextCache(maxOrganizations = 1000): ContextCache {
  const entries = new Map<string, LedgerContext>();
  return {
    peek: (organizationId) => entries.get(organizationId),
    set(organizationId, context) {
      entries.delete(organizationId);
      entries.set(organizationId, context);
      // Oldest first: a Map iterates in insertion order.
      for (const key of entries.keys()) {
        if (entries.size <= maxOrganizations) break;
        entries.delete(key);
      }
    },
    invalidate: (organizationId) => void entries.delete(organizationId),
  };
}
