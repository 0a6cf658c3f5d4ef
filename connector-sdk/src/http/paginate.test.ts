import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { parseNextLink } from './paginate.js';
import { startScriptedServer, type ScriptedServer } from '../testing/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Twelve records a fake provider pages through. */
const records = Array.from({ length: 12 }, (_, i) => ({ id: `r${String(i + 1).padStart(2, '0')}` }));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function params(url: string): URLSearchParams {
  return new URL(url, 'http://x').searchParams;
}

describe('HttpClient.paginate', () => {
  it('follows a cursor (Stripe style) until the provider says there is no more', async () => {
    server = await startScriptedServer((req) => {
      const after = params(req.url).get('starting_after');
      const start = after ? records.findIndex((r) => r.id === after) + 1 : 0;
      const data = records.slice(start, start + 5);
      return { status: 200, json: { data, has_more: start + 5 < records.length } };
    });
    const client = createHttpClient({ baseUrl: server.url });
    type StripePage = { data: Array<{ id: string }>; has_more: boolean };
    const items = await collect(
      client.paginate<{ id: string }, StripePage>('/v1/charges', {
        query: { limit: 5 },
        items: (page) => page.data,
        strategy: { type: 'cursor', cursorParam: 'starting_after', nextCursor: (page) => (page.has_more ? page.data.at(-1)?.id : undefined) },
      }),
    );
    expect(items.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(server.received.map((r) => r.url)).toEqual(['/v1/charges?limit=5', '/v1/charges?limit=5&starting_after=r05', '/v1/charges?limit=5&starting_after=r10']);
  });

  it('stops when a cursor comes back that was already used, instead of looping forever', async () => {
    server = await startScriptedServer(() => ({ status: 200, json: { items: [{ id: 'same' }], next: 'c1' } }));
    const client = createHttpClient({ baseUrl: server.url });
    const items = await collect(client.paginate<{ id: string }, { items: Array<{ id: string }>; next: string }>('/list', { items: (p) => p.items, strategy: { type: 'cursor', cursorParam: 'cursor', nextCursor: (p) => p.next } }));
    expect(items).toHaveLength(2);
    expect(server.received.map((r) => r.url)).toEqual(['/list', '/list?cursor=c1']);
  });

  it('advances an offset by the items received and stops at a short page', async () => {
    server = await startScriptedServer((req) => {
      const offset = Number(params(req.url).get('offset'));
      return { status: 200, json: records.slice(offset, offset + Number(params(req.url).get('count'))) };
    });
    const client = createHttpClient({ baseUrl: server.url });
    const items = await collect(client.paginate<{ id: string }, Array<{ id: string }>>('/items', { items: (p) => p, strategy: { type: 'offset', offsetParam: 'offset', limitParam: 'count', limit: 4 } }));
    expect(items).toHaveLength(12);
    // 12 items in pages of 4: the fourth (empty) page tells the list is over.
    expect(server.received.map((r) => r.url)).toEqual(['/items?count=4&offset=0', '/items?count=4&offset=4', '/items?count=4&offset=8', '/items?count=4&offset=12']);
  });

  it('counts pages from firstPage and stops at an empty page', async () => {
    server = await startScriptedServer((req) => {
      const page = Number(params(req.url).get('page'));
      return { status: 200, json: { results: records.slice(page * 5, page * 5 + 5) } };
    });
    const client = createHttpClient({ baseUrl: server.url });
    const items = await collect(client.paginate<{ id: string }, { results: Array<{ id: string }> }>('/tasks', { items: (p) => p.results, strategy: { type: 'page', pageParam: 'page', firstPage: 0 } }));
    expect(items.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(server.received).toHaveLength(4);
  });

  it('follows the Link header (Shopify style) without re-adding the first query', async () => {
    server = await startScriptedServer((req) => {
      const info = params(req.url).get('page_info');
      const start = info ? Number(info) : 0;
      const next = start + 5 < records.length ? `<${server?.url}/admin/orders.json?page_info=${start + 5}&limit=5>; rel="next"` : undefined;
      const prev = `<${server?.url}/admin/orders.json?page_info=0>; rel="previous"`;
      return { status: 200, json: { orders: records.slice(start, start + 5) }, headers: { link: next ? `${prev}, ${next}` : prev } };
    });
    const client = createHttpClient({ baseUrl: server.url });
    const items = await collect(client.paginate<{ id: string }, { orders: Array<{ id: string }> }>('/admin/orders.json', { query: { limit: 5, status: 'any' }, items: (p) => p.orders, strategy: { type: 'link' } }));
    expect(items).toHaveLength(12);
    expect(server.received.map((r) => r.url)).toEqual(['/admin/orders.json?limit=5&status=any', '/admin/orders.json?page_info=5&limit=5', '/admin/orders.json?page_info=10&limit=5']);
  });

  it('fetches lazily: breaking out after the first item costs one request', async () => {
    server = await startScriptedServer(() => ({ status: 200, json: { data: [{ id: 'a' }, { id: 'b' }], next: 'n' } }));
    const client = createHttpClient({ baseUrl: server.url });
    for await (const item of client.paginate<{ id: string }, { data: Array<{ id: string }>; next: string }>('/x', { items: (p) => p.data, strategy: { type: 'cursor', cursorParam: 'c', nextCursor: () => `n${Math.random()}` } })) {
      expect(item.id).toBe('a');
      break;
    }
    expect(server.received).toHaveLength(1);
  });

  it('throws after maxPages rather than paging forever', async () => {
    let n = 0;
    server = await startScriptedServer(() => ({ status: 200, json: { data: [{ id: 'x' }] } }));
    const client = createHttpClient({ baseUrl: server.url });
    const pages = client.paginate<{ id: string }, { data: Array<{ id: string }> }>('/endless', { items: (p) => p.data, maxPages: 3, strategy: { type: 'cursor', cursorParam: 'c', nextCursor: () => `c${++n}` } });
    await expect(collect(pages)).rejects.toThrow('paginate: /endless still had more after 3 pages');
    expect(server.received).toHaveLength(3);
  });
});

describe('parseNextLink', () => {
  it('finds rel="next" among other links, quoted or not, and nothing else', () => {
    expect(parseNextLink('<https://a.test/p?page_info=1>; rel="previous", <https://a.test/p?page_info=3>; rel="next"')).toBe('https://a.test/p?page_info=3');
    expect(parseNextLink('<https://a.test/2>; rel=next')).toBe('https://a.test/2');
    expect(parseNextLink('<https://a.test/2>; rel="prev next"; title="x"')).toBe('https://a.test/2');
    expect(parseNextLink('<https://a.test/2>; rel="nextpage"')).toBeUndefined();
    expect(parseNextLink('<https://a.test/1>; rel="previous"')).toBeUndefined();
    expect(parseNextLink(null)).toBeUndefined();
  });
});
