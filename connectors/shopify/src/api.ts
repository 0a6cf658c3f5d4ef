import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, Session, shopifyApi } from '@shopify/shopify-api';
import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import type { ConnectorContext } from '@uah/connector-sdk';

export interface Credentials {
  shopDomain: string;
  accessToken: string;
  webhookSecret?: string;
}
export interface Config {
  apiVersion?: string;
  insecureHttp?: boolean;
  gatewayMethods?: Record<string, string>;
}
export type ShopifyContext = ConnectorContext<Credentials, Config>;

/**
 * Shopify sends `Retry-After` in seconds ("2.0"); the library's retry loop sleeps that many milliseconds.
 * Its fetch is replaced by one that states the wait in milliseconds, so a 429 is retried after the time
 * Shopify asked for.
 */
async function fetchWithRetryAfterInMs(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const after = response.headers.get('retry-after');
  if (!after || (response.status !== 429 && response.status !== 503)) return response;
  const headers = new Headers(response.headers);
  headers.set('retry-after', String(Math.min(Math.ceil(Number.parseFloat(after) * 1000) || 1000, 60_000)));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
setAbstractFetchFunc(fetchWithRetryAfterInMs);

export interface ShopifyPage<T> {
  items: T[];
  next?: { path: string; query: Record<string, string> };
}

/** The Admin REST API of one store, through `@shopify/shopify-api`'s REST client (retries 429/503 up to 3 times). */
export interface ShopifyApi {
  get<T>(path: string, key: string, query?: Record<string, string | number>): Promise<ShopifyPage<T>>;
  /** Every item of a list, following the `Link: <…>; rel="next"` pages. */
  all<T>(path: string, key: string, query?: Record<string, string | number>): AsyncGenerator<T>;
}

const clients = new Map<string, ShopifyApi>();

function build(ctx: ShopifyContext): ShopifyApi {
  const version = (ctx.config.apiVersion ?? ApiVersion.January25) as ApiVersion;
  const shopify = shopifyApi({
    apiSecretKey: ctx.credentials.webhookSecret ?? 'unused-webhook-secret',
    adminApiAccessToken: ctx.credentials.accessToken,
    isCustomStoreApp: true,
    isEmbeddedApp: false,
    hostName: 'localhost',
    hostScheme: ctx.config.insecureHttp ? 'http' : 'https',
    apiVersion: version,
    logger: { level: LogSeverity.Error, log: async () => {} },
    future: {},
  });
  const session = new Session({ id: `offline_${ctx.credentials.shopDomain}`, shop: ctx.credentials.shopDomain, state: '', isOnline: false, accessToken: ctx.credentials.accessToken });
  const rest = new shopify.clients.Rest({ session, apiVersion: version });
  const get = async <T>(path: string, key: string, query: Record<string, string | number> = {}): Promise<ShopifyPage<T>> => {
    const res = await rest.get<Record<string, T[]>>({ path, query, tries: 4 });
    const items = res.body[key];
    if (!Array.isArray(items)) throw new Error(`Shopify answered ${path} without "${key}"`);
    const next = res.pageInfo?.nextPage;
    return { items, ...(next ? { next: { path: next.path, query: next.query as Record<string, string> } } : {}) };
  };
  return {
    get,
    async *all<T>(path: string, key: string, query: Record<string, string | number> = {}) {
      let page = await get<T>(path, key, query);
      for (;;) {
        yield* page.items;
        if (!page.next) return;
        page = await get<T>(page.next.path, key, page.next.query);
      }
    },
  };
}

/** One client per store, token and API version (the library's configuration is made once). */
export function shopifyClient(ctx: ShopifyContext): ShopifyApi {
  const key = [ctx.credentials.shopDomain, ctx.credentials.accessToken, ctx.config.apiVersion ?? '', ctx.config.insecureHttp ? 'http' : 'https'].join('|');
  let client = clients.get(key);
  if (!client) clients.set(key, (client = build(ctx)));
  return client;
}

/** "199.00" → 19900 (two-decimal currencies; Shopify sends money as decimal strings). */
export function minor(amount: string | number | null | undefined): number {
  if (amount === null || amount === undefined || amount === '') return 0;
  const [whole = '0', fraction = ''] = String(amount).split('.');
  const negative = whole.startsWith('-');
  const cents = Number(whole.replace('-', '')) * 100 + Number((fraction + '00').slice(0, 2));
  return negative ? -cents : cents;
}
