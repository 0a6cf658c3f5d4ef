/**
 * Answers already worked out during one run (one handler call's context): the same customer or tax rate is
 * looked up, or made, once however many orders of the run need it, even when they are imported side by side.
 */
const runs = new WeakMap<object, Map<string, Promise<unknown>>>();

export function memo<T>(ctx: object, key: string, work: () => Promise<T>): Promise<T> {
  let cache = runs.get(ctx);
  if (!cache) runs.set(ctx, (cache = new Map<string, Promise<unknown>>()));
  let found = cache.get(key) as Promise<T> | undefined;
  if (!found) {
    found = work();
    cache.set(key, found);
    // A failure is not remembered: the next order asks again.
    found.catch(() => cache.delete(key));
  }
  return found;
}
