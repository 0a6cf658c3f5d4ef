import type { ConnectorContext } from './context.js';
import type { SyncResult } from './define.js';
import type { Page } from './entities.js';

/** What a push of unlinked records needs: our records page by page, which of them to send, how to send one. */
export interface PushUnlinkedOptions<T extends { id: string }> {
  /** The mapping's entity type: a record already linked to the provider is left to its events. */
  entityType: string;
  list(query: { limit: number; cursor?: string }): Promise<Page<T>>;
  /** Records that may go at all (a cancelled invoice, say, may not); every one by default. */
  eligible?(record: T): boolean;
  /** Sends one record and says what the provider did with it. */
  send(record: T): Promise<'created' | 'updated' | 'skipped'>;
  /** The reason kept in the result when sending a record fails. */
  message(error: unknown): string;
}

/**
 * A push sync of the records the provider does not have yet (made before the integration, or whose event
 * failed): every eligible record of ours without a mapping is sent, one at a time; a failure is counted
 * with its reason and the push goes on. A second push finds nothing to send. It stops when the job is
 * cancelled, with what it did so far.
 *
 * @example
 * ```ts
 * return pushUnlinked(ctx, {
 *   entityType: 'customer',
 *   list: (query) => ctx.entities.customers.list(query),
 *   send: async (customer) => ((await createContact(customer)).created ? 'created' : 'updated'),
 *   message: (error) => String(error),
 * });
 * ```
 */
export async function pushUnlinked<T extends { id: string }>(ctx: Pick<ConnectorContext, 'signal' | 'mappings'>, options: PushUnlinkedOptions<T>): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0, errors: [] };
  let cursor: string | undefined;
  do {
    const page = await options.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const record of page.data) {
      if (ctx.signal.aborted) return result;
      if (!(options.eligible?.(record) ?? true) || (await ctx.mappings.externalIdOf(options.entityType, record.id))) {
        result.skipped += 1;
        continue;
      }
      try {
        result[await options.send(record)] += 1;
      } catch (error) {
        result.failed += 1;
        result.errors?.push({ internalId: record.id, message: options.message(error) });
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return result;
}
