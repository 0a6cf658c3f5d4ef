/**
 * Runs work on one key at a time, in the order asked, within the connector's worker (one per
 * organization's integration): events about one record that arrive together, or two syncs that meet the
 * same provider record, must not create it twice.
 *
 * @example
 * ```ts
 * const queue = createKeyedQueue();
 * await queue.run(`invoice:${invoice.id}`, () => pushInvoice(invoice));
 * ```
 */
export interface KeyedQueue {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** See {@link KeyedQueue}. */
export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, work) {
      const next = (tails.get(key) ?? Promise.resolve()).then(work);
      const settled = next.catch(() => undefined);
      tails.set(key, settled);
      void settled.then(() => tails.get(key) === settled && tails.delete(key));
      return next;
    },
  };
}
