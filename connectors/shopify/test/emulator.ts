import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shopifySignature } from '../src/webhooks.js';
import { makeStore, type Obj, type StoreData } from './store.js';

/**
 * A local Shopify Admin REST API (the paths, envelopes, `Link` pagination with `page_info`, error bodies
 * and 429 with `Retry-After` of the real one) over a store made from the official sample objects.
 */
export interface ShopifyEmulator extends StoreData {
  /** What to give the connector as `shopDomain` (with `insecureHttp: true`). */
  shop: string;
  url: string;
  /** Every request: method, path with query, and the access token sent. */
  received: Array<{ method: string; path: string; token: string | undefined }>;
  /** Answers every `n`-th request with 429 and `Retry-After` (`0` stops). */
  throttleEvery(n: number, retryAfterSeconds?: number): void;
  /** Answers the next `n` requests to a path that starts with `prefix` with 503. */
  failNext(prefix: string, n: number): void;
  /** A signed webhook delivery, as Shopify sends it. */
  webhook(topic: string, payload: unknown, secret: string): { headers: Record<string, string>; body: string };
  close(): Promise<void>;
}

export const API_VERSION = '2025-01';
const PAGE_MAX = 250;

/** A `page_info` token carries the position and the first page's filters, as Shopify's does. */
const encodeCursor = (offset: number, filters: string): string => Buffer.from(JSON.stringify({ offset, filters })).toString('base64url');
const decodeCursor = (token: string): { offset: number; filters: string } | undefined => {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown; filters?: unknown };
    return typeof cursor.offset === 'number' && cursor.offset >= 0 && typeof cursor.filters === 'string' ? { offset: cursor.offset, filters: cursor.filters } : undefined;
  } catch {
    return undefined;
  }
};
/** The filters of a request: its own on a first page, those of the first page in its `page_info` after. */
const filtersOf = (url: URL): URLSearchParams => {
  const token = url.searchParams.get('page_info');
  const cursor = token === null ? undefined : decodeCursor(token);
  const own = new URLSearchParams(url.searchParams);
  own.delete('page_info');
  own.delete('limit');
  return cursor ? new URLSearchParams(cursor.filters) : own;
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

export async function startShopifyEmulator(options: { token: string; products?: number; orders?: number; data?: StoreData }): Promise<ShopifyEmulator> {
  const data = options.data ?? makeStore(options.products ?? 0, options.orders ?? 0);
  const received: ShopifyEmulator['received'] = [];
  let throttle = 0;
  let retryAfter = 0.01;
  let count = 0;
  const failures = new Map<string, number>();
  let base = '';

  /** One page of a list, with Shopify's `Link` header (`page_info` carries the filters, as Shopify's does). */
  function page(res: ServerResponse, key: string, all: Obj[], url: URL): void {
    const limit = Number(url.searchParams.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) return send(res, 400, { errors: { limit: ['must be between 1 and 250'] } });
    const token = url.searchParams.get('page_info');
    const cursor = token === null ? { offset: 0, filters: filtersOf(url).toString() } : decodeCursor(token);
    if (cursor === undefined) return send(res, 400, { errors: { page_info: ['Invalid value.'] } });
    const { offset, filters } = cursor;
    const items = all.slice(offset, offset + limit);
    const links: string[] = [];
    const link = (at: number, rel: string) => `<${base}${url.pathname}?limit=${limit}&page_info=${encodeCursor(at, filters)}>; rel="${rel}"`;
    if (offset > 0) links.push(link(Math.max(0, offset - limit), 'previous'));
    if (offset + limit < all.length) links.push(link(offset + limit, 'next'));
    send(res, 200, { [key]: items }, links.length ? { link: links.join(', ') } : {});
  }

  const routes: Record<string, (url: URL, res: ServerResponse) => void> = {
    products: (url, res) => page(res, 'products', data.products, url),
    locations: (url, res) => page(res, 'locations', data.locations, url),
    inventory_levels: (url, res) => {
      const filters = filtersOf(url);
      const locationIds = filters.get('location_ids')?.split(',');
      const itemIds = filters.get('inventory_item_ids')?.split(',');
      if (!locationIds && !itemIds) return send(res, 422, { errors: { base: ['inventory_item_ids or location_ids is required'] } });
      const levels = data.levels.filter((l) => (!locationIds || locationIds.includes(String(l['location_id']))) && (!itemIds || itemIds.includes(String(l['inventory_item_id']))));
      page(res, 'inventory_levels', levels, url);
    },
    orders: (url, res) => {
      const filters = filtersOf(url);
      const since = filters.get('updated_at_min');
      const ids = filters.get('ids')?.split(',');
      const status = filters.get('status') ?? 'open';
      const orders = data.orders
        .filter((o) => (!since || Date.parse(String(o['updated_at'])) >= Date.parse(since)) && (!ids || ids.includes(String(o['id']))) && (status === 'any' || o['cancelled_at'] === null))
        .sort((a, b) => Date.parse(String(a['updated_at'])) - Date.parse(String(b['updated_at'])));
      page(res, 'orders', orders, url);
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const token = req.headers['x-shopify-access-token'] as string | undefined;
    received.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, token });
    count += 1;
    if (throttle > 0 && count % throttle === 0) return send(res, 429, { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, { 'retry-after': retryAfter.toFixed(2) });
    for (const [prefix, left] of failures) {
      if (left > 0 && url.pathname.includes(prefix)) {
        failures.set(prefix, left - 1);
        return send(res, 503, { errors: 'Service Unavailable' });
      }
    }
    if (token !== options.token) return send(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const match = /^\/admin\/api\/([0-9]{4}-[0-9]{2})\/([a-z_]+)\.json$/.exec(url.pathname);
    const route = match && match[1] === API_VERSION ? routes[match[2] ?? ''] : undefined;
    if (req.method !== 'GET' || !route) return send(res, 404, { errors: 'Not Found' });
    route(url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    ...data,
    shop: `127.0.0.1:${port}`,
    url: base,
    received,
    throttleEvery: (n, seconds = 0.01) => {
      throttle = n;
      retryAfter = seconds;
      count = 0;
    },
    failNext: (prefix, n) => void failures.set(prefix, n),
    webhook: (topic, payload, secret) => {
      const body = JSON.stringify(payload);
      return { body, headers: { 'content-type': 'application/json', 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': shopifySignature(body, secret), 'x-shopify-shop-domain': 'emulated.myshopify.com', 'x-shopify-api-version': API_VERSION, 'x-shopify-webhook-id': `wh-${topic}-${String((payload as { id?: unknown }).id)}-${Date.now()}` } };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
