import { call, type StripeContext } from './client.js';

interface List<T> {
  data: T[];
  has_more: boolean;
}

/** Every object of a Stripe list, page by page (`starting_after` the last one), each page through `call`. */
export async function listAll<T extends { id: string }>(ctx: StripeContext, what: string, page: (cursor: { starting_after?: string }) => Promise<List<T>>): Promise<T[]> {
  const all: T[] = [];
  let after: string | undefined;
  for (;;) {
    const cursor = after;
    const list = await call(ctx, what, () => page(cursor ? { starting_after: cursor } : {}));
    all.push(...list.data);
    const last = list.data.at(-1);
    if (!list.has_more || !last || ctx.signal.aborted) return all;
    after = last.id;
  }
}
