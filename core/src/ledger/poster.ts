import type { Knex } from 'knex';
import type { EventMetadata, JournalEntry } from '@uah/schemas';
import { conflict, organizationNotFound } from '../http/errors.js';
import type { ContextCache } from './context-cache.js';
import type { GroupCommit } from '../db/group-commit.js';
import { loadContext, writeEntry } from './journal-store.js';
import { findAccount } from './posting.js';
import type { AccountRef, LedgerContext, PreparedEntry } from './types.js';

type Db = Knex | Knex.Transaction;

export interface Poster {
  /** The context with the accounts `refs` name, as the database has it now (seeding the ledger of an organization that predates it); cached. */
  fresh(db: Db, organizationId: string, refs: AccountRef[]): Promise<LedgerContext>;
  /**
   * Prepares an entry with `build` and writes it. The cached context is tried first; whatever it refuses
   * or the write statement finds stale is prepared again from fresh data, so errors always reflect the
   * database, and the common case costs a single statement.
   */
  post(db: Db, organizationId: string, refs: AccountRef[], build: (context: LedgerContext) => PreparedEntry, meta: EventMetadata): Promise<JournalEntry>;
}

export function createPoster(deps: { cache: ContextCache; ensureLedger(organizationId: string, db?: Db): Promise<void>; group?: GroupCommit | undefined }): Poster {
  const { cache } = deps;

  const poster: Poster = {
    async fresh(db, organizationId, refs) {
      let context = await loadContext(db, organizationId, refs);
      if (!context) {
        await deps.ensureLedger(organizationId, db);
        context = await loadContext(db, organizationId, refs);
      }
      if (!context) throw organizationNotFound(organizationId);
      return cache.set(organizationId, context);
    },

    async post(db, organizationId, refs, build, meta) {
      const cached = cache.peek(organizationId);
      if (cached && refs.every((ref) => findAccount(cached.accounts, ref))) {
        let prepared: PreparedEntry | undefined;
        try {
          prepared = build(cached);
        } catch {
          // Refused on cached facts: decide on fresh ones below.
        }
        const written = prepared && (await writeEntry(db, organizationId, prepared, cached, meta, deps.group));
        if (written) return written;
      }
      const context = await poster.fresh(db, organizationId, refs);
      const written = await writeEntry(db, organizationId, build(context), context, meta, deps.group);
      if (written) return written;
      cache.invalidate(organizationId);
      throw conflict('The accounts or the lock date changed while the entry was being posted. Retry the request.');
    },
  };
  return poster;
}
