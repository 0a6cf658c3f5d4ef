import type { Problem } from '@uah/schemas';

/** A failing field of a validation error: a JSON Pointer into the body, query, path or header. */
export type FieldError = NonNullable<Problem['errors']>[number];

/**
 * The API answered with an error. Carries the RFC 9457 problem+json fields: `code` is the stable
 * SCREAMING_SNAKE code to branch on (`VALIDATION_FAILED`, `NOT_FOUND`, `RATE_LIMITED`, …), `errors`
 * the failing fields of a validation error, `requestId` what to quote to the operator. An answer that
 * is not problem+json (a proxy's HTML page) gets the code `UNEXPECTED_RESPONSE`.
 */
export class UahApiError extends Error {
  override readonly name = 'UahApiError';
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];
  /** Seconds to wait before retrying, from `Retry-After` (429, 503, 409 IDEMPOTENCY_KEY_IN_USE). */
  readonly retryAfter: number | undefined;
  readonly headers: Headers;

  constructor(status: number, problem: Partial<Problem>, headers: Headers) {
    const code = problem.code ?? 'UNEXPECTED_RESPONSE';
    super(`${status} ${code}: ${problem.detail ?? problem.title ?? 'the API answered with an error'}`);
    this.status = status;
    this.code = code;
    this.type = problem.type ?? 'about:blank';
    this.title = problem.title ?? `HTTP ${status}`;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.requestId = problem.requestId ?? headers.get('x-request-id') ?? undefined;
    this.errors = problem.errors ?? [];
    const retryAfter = Number(headers.get('retry-after') ?? Number.NaN);
    this.retryAfter = Number.isFinite(retryAfter) ? retryAfter : undefined;
    this.headers = headers;
  }
}

/** No answer from the API: the connection failed or the request timed out (`timedOut`). */
export class UahConnectionError extends Error {
  override readonly name = 'UahConnectionError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
