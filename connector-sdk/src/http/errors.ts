/**
 * Why a request failed:
 * - `HTTP_STATUS`: the provider answered with an error status (after any retries);
 * - `TIMEOUT`: an attempt took longer than `timeoutMs` (after any retries);
 * - `NETWORK`: the connection failed (DNS, refused, reset), after any retries;
 * - `ABORTED`: the caller's signal aborted the request (the hub is shutting down, the job was cancelled);
 * - `INVALID_RESPONSE`: a success response said it was JSON but did not parse;
 * - `HOST_NOT_ALLOWED`: the URL's host is not in the connector's `allowedHosts` (nothing was sent).
 *
 * @example
 * ```ts
 * const code: HttpErrorCode = 'TIMEOUT';
 * ```
 */
export type HttpErrorCode = 'HTTP_STATUS' | 'TIMEOUT' | 'NETWORK' | 'ABORTED' | 'INVALID_RESPONSE' | 'HOST_NOT_ALLOWED';

/**
 * The one error the HTTP helper throws. `status`, `headers` and `body` are set when the provider
 * answered; `body` is parsed JSON when the response was JSON, else its text. The message names the
 * method, the URL without its query string (which may hold a key) and the number of attempts.
 *
 * @example
 * ```ts
 * try {
 *   await client.get('/v1/charges/ch_1');
 * } catch (error) {
 *   if (error instanceof HttpError && error.status === 404) return undefined;
 *   throw error;
 * }
 * ```
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  readonly method: string;
  readonly url: string;
  readonly attempts: number;
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  readonly body: unknown;

  constructor(init: {
    code: HttpErrorCode;
    method: string;
    url: string;
    attempts: number;
    status?: number;
    headers?: Headers;
    body?: unknown;
    cause?: unknown;
    detail?: string;
  }) {
    const where = `${init.method} ${redact(init.url)}`;
    const what = init.detail ?? (init.status !== undefined ? `answered ${init.status}` : init.code.toLowerCase().replace('_', ' '));
    super(`${where} ${what} (${init.attempts} attempt${init.attempts === 1 ? '' : 's'})`, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.method = init.method;
    this.url = init.url;
    this.attempts = init.attempts;
    this.status = init.status;
    this.headers = init.headers;
    this.body = init.body;
  }
}

/** The URL without query string or fragment, which may carry credentials. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
