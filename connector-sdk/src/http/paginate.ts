import type { HttpClient, HttpRequestOptions, HttpResponse } from './client.js';

/**
 * How a provider pages its lists:
 * - `cursor`: the page says where the next one starts (`starting_after`, `page_info`, `offset` tokens);
 *   the cursor goes in `cursorParam`. Stops when `nextCursor` returns nothing, or the same cursor again.
 * - `offset`: `offsetParam` advances by the number of items; stops at a short page.
 * - `page`: `pageParam` counts pages from `firstPage`; stops at an empty (or short, when `limit` is known) page.
 * - `link`: follows the next-page URL, by default the RFC 8288 `Link: <…>; rel="next"` header; stops when there is none.
 *
 * @example
 * ```ts
 * const stripeStyle: PaginationStrategy<{ data: Array<{ id: string }>; has_more: boolean }> = {
 *   type: 'cursor',
 *   cursorParam: 'starting_after',
 *   nextCursor: (page) => (page.has_more ? page.data.at(-1)?.id : undefined),
 * };
 * ```
 */
export type PaginationStrategy<TPage> =
  | { type: 'cursor'; cursorParam: string; nextCursor: (page: TPage, response: HttpResponse<TPage>) => string | null | undefined }
  | { type: 'offset'; offsetParam: string; limitParam: string; limit: number; start?: number }
  | { type: 'page'; pageParam: string; firstPage?: number; limitParam?: string; limit?: number }
  | { type: 'link'; nextUrl?: (page: TPage, response: HttpResponse<TPage>) => string | null | undefined };

/**
 * What {@link HttpClient.paginate} needs: how to find the items in a page and how to get the next one.
 * The other request options (query, headers, timeout, retries) apply to every page.
 *
 * @example
 * ```ts
 * for await (const order of shop.paginate<Order, { orders: Order[] }>('/orders.json', {
 *   query: { limit: 250 },
 *   items: (page) => page.orders,
 *   strategy: { type: 'link' },
 * })) {
 *   await importOrder(ctx, order);
 * }
 * ```
 */
export interface PaginateOptions<TPage, TItem> extends Omit<HttpRequestOptions, 'json' | 'form' | 'body' | 'responseType'> {
  items: (page: TPage) => TItem[];
  strategy: PaginationStrategy<TPage>;
  /** A provider that never stops paging is an error, not an endless loop. @default 1000 */
  maxPages?: number;
}

/**
 * The URL of the `rel="next"` link of an RFC 8288 `Link` header, if any.
 *
 * @example
 * ```ts
 * parseNextLink('<https://x.myshopify.com/admin/api/orders.json?page_info=abc>; rel="next"');
 * // 'https://x.myshopify.com/admin/api/orders.json?page_info=abc'
 * ```
 */
export function parseNextLink(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match?.[1] !== undefined && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/**
 * Walks every page of a list and yields its items, fetching each page only when the previous one is
 * used up. Used by {@link HttpClient.paginate}; exported for clients built another way.
 *
 * @example
 * ```ts
 * const ids: string[] = [];
 * for await (const item of paginate(client, '/items', { items: (p: { items: Array<{ id: string }> }) => p.items, strategy: { type: 'link' } })) {
 *   ids.push(item.id);
 * }
 * ```
 */
export async function* paginate<TPage, TItem>(client: Pick<HttpClient, 'request'>, path: string, options: PaginateOptions<TPage, TItem>): AsyncGenerator<TItem> {
  const { items, strategy, maxPages = 1000, ...requestOptions } = options;
  const query = { ...(requestOptions.query ?? {}) };
  let target = path;
  let position = strategy.type === 'offset' ? (strategy.start ?? 0) : strategy.type === 'page' ? (strategy.firstPage ?? 1) : 0;
  const seenCursors = new Set<string>();
  if (strategy.type === 'offset') query[strategy.limitParam] = strategy.limit;
  if (strategy.type === 'page' && strategy.limitParam && strategy.limit) query[strategy.limitParam] = strategy.limit;

  for (let pages = 1; ; pages++) {
    if (strategy.type === 'offset') query[strategy.offsetParam] = position;
    if (strategy.type === 'page') query[strategy.pageParam] = position;
    // A followed link already carries the whole query.
    const pageQuery = strategy.type === 'link' && target !== path ? {} : query;
    const response = await client.request<TPage>('GET', target, { ...requestOptions, query: pageQuery });
    const pageItems = items(response.data);
    yield* pageItems;

    let next: string | null | undefined;
    switch (strategy.type) {
      case 'cursor':
        next = strategy.nextCursor(response.data, response);
        if (!next || seenCursors.has(next)) return;
        seenCursors.add(next);
        query[strategy.cursorParam] = next;
        break;
      case 'offset':
        if (pageItems.length < strategy.limit) return;
        position += pageItems.length;
        break;
      case 'page':
        if (pageItems.length === 0 || (strategy.limit !== undefined && pageItems.length < strategy.limit)) return;
        position += 1;
        break;
      case 'link':
        next = strategy.nextUrl ? strategy.nextUrl(response.data, response) : parseNextLink(response.headers.get('link'));
        if (!next) return;
        target = new URL(next, response.url).href;
        break;
    }
    if (pages >= maxPages) throw new RangeError(`paginate: ${path} still had more after ${maxPages} pages (raise maxPages if that is expected)`);
  }
}
