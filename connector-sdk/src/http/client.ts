import { SDK_VERSION } from '../version.js';
import type { HttpError } from './errors.js';
import type { BackoffOptions } from './retry.js';
import { attemptOnce, waitBeforeRetry, type Attempt } from './attempt.js';
import { paginate, type PaginateOptions } from './paginate.js';
import { buildUrl, type QueryParams, type ResponseType } from './request.js';
import { assertDestination } from './destination.js';
import type { UrlPolicy } from '../net/url-guard.js';

/**
 * How a client talks to one provider API.
 *
 * @example
 * ```ts
 * const options: HttpClientOptions = {
 *   baseUrl: 'https://api.stripe.com/v1',
 *   headers: { authorization: `Bearer ${ctx.credentials.secretKey}` },
 *   timeoutMs: 20_000,
 *   retries: 4,
 * };
 * ```
 */
export interface HttpClientOptions {
  /** Every relative path is appended to it; absolute URLs must share its origin. */
  baseUrl: string;
  /** Sent with every request; a function is called before each attempt (to use a refreshed OAuth token). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Time allowed for one attempt, response body included. @default 30000 */
  timeoutMs?: number;
  /** Retries after the first attempt. @default 3 */
  retries?: number;
  backoff?: BackoffOptions;
  /** A `Retry-After` longer than this is not waited for: the request fails at once. @default 120000 */
  maxRetryAfterMs?: number;
  /** Statuses worth retrying. 429 is retried for every method; the others only for idempotent requests. @default [408, 425, 429, 500, 502, 503, 504] */
  retryOnStatus?: number[];
  /** Aborts every request of this client (the hub passes the job's signal). */
  signal?: AbortSignal;
  /**
   * Called once per request when the provider answers 401: resolve `true` once new credentials are in
   * place (a refreshed OAuth token) and the request is sent once more, not counted as a retry; `false`
   * lets the 401 fail the request. `withBearer` sets it for oauth2 connectors.
   */
  onUnauthorized?: () => Promise<boolean>;
  /** Called before each retry (the hub logs it). */
  onRetry?: (info: RetryInfo) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Source of jitter; tests pass a constant. @default Math.random */
  random?: () => number;
  /**
   * The only hosts this client may call (`api.stripe.com`, `*.myshopify.com`); any other is refused
   * with `HOST_NOT_ALLOWED` before anything is sent, and redirects are not followed. The hub sets it
   * to the manifest's `allowedHosts` and a connector cannot widen it. @default undefined (any host)
   */
  allowedHosts?: readonly string[];
  /**
   * With `{ allowPrivate: false }`, https only and no request to a loopback, private, link-local or other
   * reserved address, whatever name resolves to it (see `assertSafeUrl`). The hub sets it for connectors.
   * @default undefined (no address check)
   */
  urlPolicy?: UrlPolicy;
}

/**
 * One request. Give at most one of `json`, `form` and `body`.
 *
 * @example
 * ```ts
 * await client.post('/customers', { form: { email: 'a@example.com' }, headers: { 'idempotency-key': 'cus_1' } });
 * ```
 */
export interface HttpRequestOptions {
  query?: QueryParams;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (Stripe, OAuth token endpoints). */
  form?: Record<string, string | number | boolean | undefined> | URLSearchParams;
  body?: string | Uint8Array;
  timeoutMs?: number;
  retries?: number;
  /**
   * Retry on 5xx, timeouts and network errors although the method is not idempotent. POST and PATCH
   * are retried only then (or when an `idempotency-key` header is set): the first attempt may have
   * been carried out, and a blind retry could charge a card twice.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** How to read the body. @default JSON when the response says so, else text */
  responseType?: ResponseType;
}

/**
 * A successful response. `data` is whatever the provider sent, not validated: check what you use.
 *
 * @example
 * ```ts
 * const res: HttpResponse<{ id: string }> = await client.request('GET', '/charges/ch_1');
 * res.data.id;
 * ```
 */
export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
  url: string;
  attempts: number;
}

/**
 * What `onRetry` is told before a retry.
 *
 * @example
 * ```ts
 * const onRetry = (info: RetryInfo) => ctx.logger.warn('retrying', { ...info });
 * ```
 */
export interface RetryInfo {
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  status?: number;
  code: HttpError['code'];
}

/**
 * A provider API client: JSON in and out, retries with backoff, timeouts, pagination.
 *
 * @example
 * ```ts
 * const client = createHttpClient({ baseUrl: 'https://api.example.com/v2' });
 * const invoice = await client.get<{ id: string; total: number }>('/invoices/42');
 * ```
 */
export interface HttpClient {
  request<T = unknown>(method: string, path: string, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  get<T = unknown>(path: string, options?: HttpRequestOptions): Promise<T>;
  post<T = unknown>(path: string, options?: HttpRequestOptions): Promise<T>;
  put<T = unknown>(path: string, options?: HttpRequestOptions): Promise<T>;
  patch<T = unknown>(path: string, options?: HttpRequestOptions): Promise<T>;
  delete<T = unknown>(path: string, options?: HttpRequestOptions): Promise<T>;
  /** Every item of every page, fetched lazily page by page. See {@link PaginateOptions}. */
  paginate<TItem, TPage = unknown>(path: string, options: PaginateOptions<TPage, TItem>): AsyncIterable<TItem>;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const DEFAULT_RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];

/**
 * Creates a client for one provider API. Failed attempts are retried with exponential backoff and
 * jitter — 429 always, 408/425/5xx, timeouts and network errors when the request is idempotent —
 * and a `Retry-After` header sets the wait. Each attempt has its own timeout. Errors are {@link HttpError}s.
 *
 * @example
 * ```ts
 * const shop = createHttpClient({
 *   baseUrl: `https://${ctx.config.shop}/admin/api/2024-10`,
 *   headers: { 'x-shopify-access-token': ctx.credentials.accessToken },
 * });
 * const { orders } = await shop.get<{ orders: unknown[] }>('/orders.json', { query: { status: 'any' } });
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const retryOn = new Set(options.retryOnStatus ?? DEFAULT_RETRY_STATUSES);
  const retryPolicy = { maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000, ...(options.backoff ? { backoff: options.backoff } : {}), ...(options.random ? { random: options.random } : {}), ...(options.onRetry ? { onRetry: options.onRetry } : {}) };

  async function request<T>(method: string, path: string, opts: HttpRequestOptions = {}): Promise<HttpResponse<T>> {
    const upper = method.toUpperCase();
    const url = buildUrl(options.baseUrl, path, opts.query);
    await assertDestination(url, { method: upper, allowedHosts: options.allowedHosts, urlPolicy: options.urlPolicy });
    const extraHeaders = { ...(opts.headers ?? {}) };
    const idempotent = opts.idempotent ?? (IDEMPOTENT_METHODS.has(upper) || Object.keys(extraHeaders).some((h) => h.toLowerCase() === 'idempotency-key'));
    const retries = opts.retries ?? options.retries ?? 3;
    const signals = [options.signal, opts.signal].filter((s): s is AbortSignal => s !== undefined);
    let reauthorized = false;
    for (let number = 1; ; number++) {
      const headers = { ...(typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {})), ...extraHeaders };
      const init = requestInit(upper, opts, headers);
      // A redirect could lead to a host the manifest does not allow: it comes back as a response instead.
      if (options.allowedHosts) init.redirect = 'manual';
      const a: Attempt = { fetch: fetchImpl, retryOn, method: upper, url, init, number, timeoutMs: opts.timeoutMs ?? options.timeoutMs ?? 30_000, idempotent, responseType: opts.responseType, signals };
      const outcome = await attemptOnce<T>(a);
      if ('response' in outcome) return outcome.response;
      if (outcome.error.status === 401 && !reauthorized && options.onUnauthorized) {
        reauthorized = true;
        if (await options.onUnauthorized()) {
          number -= 1;
          continue;
        }
      }
      if (!outcome.retryable || number > retries) throw outcome.error;
      await waitBeforeRetry(a, outcome, retryPolicy);
    }
  }

  const client: HttpClient = {
    request,
    get: async (path, opts) => (await request<never>('GET', path, opts)).data,
    post: async (path, opts) => (await request<never>('POST', path, opts)).data,
    put: async (path, opts) => (await request<never>('PUT', path, opts)).data,
    patch: async (path, opts) => (await request<never>('PATCH', path, opts)).data,
    delete: async (path, opts) => (await request<never>('DELETE', path, opts)).data,
    paginate: (path, opts) => paginate(client, path, opts),
  };
  return client;
}

function requestInit(method: string, opts: HttpRequestOptions, headers: Record<string, string>): RequestInit {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  lower['accept'] ??= 'application/json';
  lower['user-agent'] ??= `uah-connector-sdk/${SDK_VERSION}`;
  let body: string | Uint8Array | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    lower['content-type'] ??= 'application/json';
  } else if (opts.form !== undefined) {
    const form = opts.form instanceof URLSearchParams ? opts.form : formParams(opts.form);
    body = form.toString();
    lower['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  return { method, headers: lower, ...(body === undefined ? {} : { body }) };
}

function formParams(values: Record<string, string | number | boolean | undefined>): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) form.append(key, String(value));
  return form;
}
