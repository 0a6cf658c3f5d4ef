/**
 * Query parameters. `undefined` values are left out; arrays repeat the parameter (`?id=1&id=2`).
 *
 * @example
 * ```ts
 * const query: QueryParams = { limit: 100, starting_after: cursor, expand: ['data.customer'] };
 * ```
 */
export type QueryParams = Record<string, string | number | boolean | undefined | Array<string | number | boolean>>;

/**
 * How to read a response body: parsed JSON, text, or raw bytes (a PDF, a CSV export).
 *
 * @example
 * ```ts
 * const pdf = await client.get<Uint8Array>('/invoices/42/pdf', { responseType: 'bytes' });
 * ```
 */
export type ResponseType = 'json' | 'text' | 'bytes';

/**
 * The URL of a request: a relative `path` is appended to `baseUrl` (keeping the base's own path, so
 * `https://api.x.com/v2` + `/orders` is `https://api.x.com/v2/orders`); an absolute URL (a `next`
 * link from the provider) must have the base's origin, so credentials never go to another host.
 *
 * @example
 * ```ts
 * buildUrl('https://api.x.com/v2/', '/orders', { page: 2 }); // 'https://api.x.com/v2/orders?page=2'
 * ```
 */
export function buildUrl(baseUrl: string, path: string, query?: QueryParams): string {
  const base = new URL(baseUrl);
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    url = new URL(path);
    if (url.origin !== base.origin) throw new TypeError(`refusing to send a request for ${base.origin} to ${url.origin}`);
  } else {
    url = new URL(base.href.replace(/\/+$/, '') + (path.startsWith('/') || path === '' ? path : `/${path}`));
  }
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url.href;
}

/**
 * A response body as read: `ok: false` when it claimed to be JSON and did not parse (its text is kept
 * for the error).
 *
 * @example
 * ```ts
 * const body: ReadBody = { ok: true, data: { id: 'ch_1' } };
 * ```
 */
export type ReadBody = { ok: true; data: unknown } | { ok: false; text: string };

/**
 * Reads a response body: JSON when asked or when the content type says so (`application/json`,
 * `application/problem+json`, `…+json`), bytes when asked, else text. An empty body is `undefined`.
 *
 * @example
 * ```ts
 * const body = await readBody(await fetch(url), undefined);
 * if (body.ok) use(body.data);
 * ```
 */
export async function readBody(response: Response, type: ResponseType | undefined): Promise<ReadBody> {
  if (type === 'bytes') return { ok: true, data: new Uint8Array(await response.arrayBuffer()) };
  const text = await response.text();
  const isJson = type === 'json' || (type === undefined && /[/+]json\b/i.test(response.headers.get('content-type') ?? ''));
  if (!isJson) return { ok: true, data: text };
  if (text.trim() === '') return { ok: true, data: undefined };
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, text };
  }
}
