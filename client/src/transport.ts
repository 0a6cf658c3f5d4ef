import type { Problem } from '@uah/schemas';
import { UahApiError, UahConnectionError } from './errors.js';

/** Per-call options every method accepts. */
export interface RequestOptions {
  /**
   * For POST: a retry with the same key and body returns the first response instead of acting twice.
   * Generated for every POST unless given; give your own to make retries safe across processes.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Retries after a 429, a 5xx or a lost connection, for requests that are safe to repeat. @default 2 */
  maxRetries?: number;
  /** Time allowed for one attempt. @default 60000 */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** How to read a successful answer: JSON (the default), text (an export) or bytes (a PDF). */
export type ResponseType = 'json' | 'text' | 'bytes';

export interface TransportRequest extends RequestOptions {
  query?: Query;
  body?: unknown;
  responseType?: ResponseType;
}

export interface Transport {
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, init?: TransportRequest): Promise<T>;
}

const ACCEPT: Record<ResponseType, string> = { json: 'application/json', text: 'text/plain, application/problem+json', bytes: 'application/pdf, application/octet-stream, application/problem+json' };

async function bodyOf(response: Response, responseType: ResponseType): Promise<unknown> {
  if (responseType === 'text') return response.text();
  if (responseType === 'bytes') return new Uint8Array(await response.arrayBuffer());
  return response.status === 204 ? undefined : response.json();
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const MAX_WAIT_SECONDS = 60;

async function errorFrom(response: Response): Promise<UahApiError> {
  const text = await response.text().catch(() => '');
  let problem: Partial<Problem> = {};
  if (/json/.test(response.headers.get('content-type') ?? '')) {
    try {
      problem = JSON.parse(text) as Partial<Problem>;
    } catch {
      problem = { detail: text.slice(0, 500) };
    }
  } else if (text) {
    problem = { detail: text.slice(0, 500) };
  }
  return new UahApiError(response.status, problem, response.headers);
}

function shouldRetry(method: string, error: UahApiError | UahConnectionError): boolean {
  // GET repeats safely and POST carries an idempotency key; a PATCH or PUT is repeated only when it was refused (429).
  const repeatable = method === 'GET' || method === 'POST';
  if (error instanceof UahConnectionError) return repeatable;
  if (error.status === 429) return true;
  if (error.code === 'IDEMPOTENCY_KEY_IN_USE') return method === 'POST';
  return repeatable && RETRY_STATUSES.has(error.status);
}

/** How long to wait before retry number `retry` (from 0); `undefined` when the API asks for longer than we wait. */
function delayMs(retry: number, error: UahApiError | UahConnectionError): number | undefined {
  if (error instanceof UahApiError && error.retryAfter !== undefined) return error.retryAfter > MAX_WAIT_SECONDS ? undefined : error.retryAfter * 1000;
  const ceiling = Math.min(8000, 500 * 2 ** retry);
  return ceiling / 2 + (ceiling / 2) * Math.random();
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new UahConnectionError('The request was aborted.', false, { cause: signal.reason }));
    }, { once: true });
  });
}

/** `https://hub.example.com/v1/` → `https://hub.example.com`: every path of the API starts with `/v1`. */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

function urlOf(baseUrl: string, path: string, query: Query | undefined): string {
  const url = new URL(normalizeBaseUrl(baseUrl) + path);
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
  return url.href;
}

/** Sends requests with the key, JSON bodies, an Idempotency-Key on POST, timeouts and safe retries. */
export function createTransport(options: TransportOptions): Transport {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const maxRetries = options.maxRetries ?? 2;

  async function attempt(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
    try {
      return await fetchImpl(url, { method, headers, ...(body === undefined ? {} : { body }), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (cause) {
      const timedOut = timeout.aborted && !signal?.aborted;
      throw new UahConnectionError(timedOut ? `${method} ${url} timed out.` : `${method} ${url} failed: ${(cause as Error).message}`, timedOut, { cause });
    }
  }

  return {
    async request<T>(method: string, path: string, init: TransportRequest = {}): Promise<T> {
      const responseType = init.responseType ?? 'json';
      const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: ACCEPT[responseType] };
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      if (body !== undefined) headers['content-type'] = 'application/json';
      // One key for every attempt: that is what makes the retry of a POST safe.
      if (method === 'POST') headers['idempotency-key'] = init.idempotencyKey ?? globalThis.crypto.randomUUID();
      const url = urlOf(options.baseUrl, path, init.query);
      for (let retry = 0; ; retry++) {
        let failure: UahApiError | UahConnectionError;
        try {
          const response = await attempt(method, url, headers, body, init.signal);
          if (response.ok) return (await bodyOf(response, responseType)) as T;
          failure = await errorFrom(response);
        } catch (error) {
          if (!(error instanceof UahConnectionError) || init.signal?.aborted) throw error;
          failure = error;
        }
        const wait = retry < maxRetries && shouldRetry(method, failure) ? delayMs(retry, failure) : undefined;
        if (wait === undefined) throw failure;
        await abortableSleep(wait, init.signal);
      }
    },
  };
}
