import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResponse, RetryInfo } from './client.js';
import { HttpError } from './errors.js';
import { backoffDelay, parseRetryAfter, type BackoffOptions } from './retry.js';
import { readBody, type ResponseType } from './request.js';

/**
 * One attempt of a request, with everything needed to send it and to judge its failure.
 *
 * @example
 * ```ts
 * const a: Attempt = { fetch, retryOn: new Set([429, 503]), method: 'GET', url, init: { method: 'GET' }, number: 1, timeoutMs: 30_000, idempotent: true, responseType: undefined, signals: [] };
 * ```
 */
export interface Attempt {
  fetch: typeof fetch;
  retryOn: ReadonlySet<number>;
  method: string;
  url: string;
  init: RequestInit;
  /** From 1. */
  number: number;
  timeoutMs: number;
  idempotent: boolean;
  responseType: ResponseType | undefined;
  /** The caller's and the client's signals: aborting either stops the request without retrying. */
  signals: AbortSignal[];
}

/**
 * What an attempt came to: a response, or an error and whether another attempt may fix it.
 *
 * @example
 * ```ts
 * const outcome: Outcome<unknown> = await attemptOnce(a);
 * if ('response' in outcome) return outcome.response.data;
 * ```
 */
export type Outcome<T> = { response: HttpResponse<T> } | Failed;

/**
 * A failed attempt.
 *
 * @example
 * ```ts
 * const failed: Failed = { error, retryable: true, retryAfterMs: 1000 };
 * ```
 */
export interface Failed {
  error: HttpError;
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * Sends one attempt under its own timeout and reads the response. Never throws: failures come back
 * as an {@link Outcome} that says whether they are worth retrying (429 always; listed statuses,
 * timeouts and network errors for idempotent requests; never after the caller aborted).
 *
 * @example
 * ```ts
 * const outcome = await attemptOnce<{ id: string }>(a);
 * ```
 */
export async function attemptOnce<T>(a: Attempt): Promise<Outcome<T>> {
  const timeout = AbortSignal.timeout(a.timeoutMs);
  const signal = AbortSignal.any([timeout, ...a.signals]);
  try {
    const response = await a.fetch(a.url, { ...a.init, signal });
    const base = { method: a.method, url: a.url, attempts: a.number, status: response.status, headers: response.headers };
    if (response.ok) {
      const body = await readBody(response, a.responseType);
      if (!body.ok) return { error: new HttpError({ ...base, code: 'INVALID_RESPONSE', detail: 'sent a body that is not valid JSON', body: body.text }), retryable: false };
      return { response: { status: response.status, headers: response.headers, data: body.data as T, url: a.url, attempts: a.number } };
    }
    const body = await readBody(response, undefined);
    const retryable = a.retryOn.has(response.status) && (response.status === 429 || a.idempotent);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return { error: new HttpError({ ...base, code: 'HTTP_STATUS', body: body.ok ? body.data : body.text }), retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  } catch (cause) {
    const code = a.signals.some((s) => s.aborted) ? 'ABORTED' : timeout.aborted ? 'TIMEOUT' : 'NETWORK';
    return { error: new HttpError({ code, method: a.method, url: a.url, attempts: a.number, cause }), retryable: code !== 'ABORTED' && a.idempotent };
  }
}

/**
 * How long to wait between attempts, and who hears about it.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { maxRetryAfterMs: 120_000, backoff: { initialMs: 500 } };
 * ```
 */
export interface RetryPolicy {
  maxRetryAfterMs: number;
  backoff?: BackoffOptions;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

/**
 * Waits before the next attempt: the `Retry-After` the provider asked for, else exponential backoff
 * with jitter. Throws the failure instead when `Retry-After` is longer than the policy allows, and an
 * `ABORTED` {@link HttpError} when the caller aborts during the wait.
 *
 * @example
 * ```ts
 * if (!('response' in outcome) && outcome.retryable) await waitBeforeRetry(a, outcome, policy);
 * ```
 */
export async function waitBeforeRetry(a: Attempt, failed: Failed, policy: RetryPolicy): Promise<void> {
  if (failed.retryAfterMs !== undefined && failed.retryAfterMs > policy.maxRetryAfterMs) throw failed.error;
  const delayMs = failed.retryAfterMs ?? backoffDelay(a.number - 1, policy.backoff, policy.random);
  policy.onRetry?.({ method: a.method, url: a.url, attempt: a.number, delayMs, code: failed.error.code, ...(failed.error.status === undefined ? {} : { status: failed.error.status }) });
  try {
    await sleep(delayMs, undefined, { signal: AbortSignal.any(a.signals) });
  } catch (cause) {
    throw new HttpError({ code: 'ABORTED', method: a.method, url: a.url, attempts: a.number, cause });
  }
}
