/**
 * One piece of work at a time per key, in this process. The hub hands a connector's events to it side by
 * side, so `project.created` and the `milestone.created` of the same project may run together; both
 * would find no Asana project yet and make one each. Work on one project is queued behind the work before it.
 */
const tails = new Map<string, Promise<unknown>>();

export async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(work);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
