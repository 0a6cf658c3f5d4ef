import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { DBError, UniqueViolationError, CheckViolationError, ForeignKeyViolationError } from 'objection';
import { AppError, ERRORS, PROBLEM_TYPE_BASE, type ErrorCode } from './errors.js';

export const PROBLEM_JSON = 'application/problem+json';

/**
 * The error boundary at the top of the chain: whatever is thrown below becomes an RFC 9457 problem.
 * Known errors keep their status; database constraint violations that slipped past validation become
 * 409/422 instead of 500; anything else is logged and answered 500 without internals.
 */
export function createProblemBoundary() {
  return async function problemBoundary(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('ROUTE_NOT_FOUND', `No route for ${ctx.method} ${ctx.path}.`);
    } catch (thrown) {
      const error = toAppError(thrown);
      if (error.status >= 500) (ctx.state as { log?: Logger }).log?.error({ err: thrown }, 'request failed');
      renderProblem(ctx, error);
    }
  };
}

export function renderProblem(ctx: Context, error: AppError): void {
  ctx.status = error.status;
  ctx.type = PROBLEM_JSON;
  for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
  ctx.body = {
    // Extra members first: they never replace the standard ones.
    ...(error.members ?? {}),
    type: PROBLEM_TYPE_BASE + error.code,
    title: ERRORS[error.code].title,
    status: error.status,
    detail: error.message,
    instance: ctx.path,
    code: error.code,
    requestId: ctx.state.requestId as string | undefined,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  if (isConnectionLoss(thrown)) return new AppError('SERVICE_UNAVAILABLE', 'The database is unreachable for a moment; nothing of this request was written. Retry shortly.', { headers: { 'Retry-After': '1' } });
  if (isTransientConflict(thrown)) return new AppError('SERVICE_UNAVAILABLE', 'The request met another one over the same records and the database rolled it back; nothing of it was written. Retry it.', { headers: { 'Retry-After': '1' } });
  if (thrown instanceof UniqueViolationError) return new AppError('CONFLICT', `A record with the same ${thrown.columns?.join(', ') ?? 'key'} exists already.`);
  if (thrown instanceof CheckViolationError) return new AppError('UNPROCESSABLE', `The change breaks the rule ${thrown.constraint ?? ''}.`.trim());
  if (thrown instanceof ForeignKeyViolationError) return new AppError('UNPROCESSABLE', 'The change refers to a record that does not exist.');
  if (thrown instanceof DBError) return new AppError('INTERNAL', 'A database error occurred.');
  const http = thrown as { status?: number; expose?: boolean; message?: string; type?: string };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500) {
    return new AppError(codeForStatus(http.status, http.type), http.expose ? http.message : undefined);
  }
  return new AppError('INTERNAL', 'Something went wrong on our side. The request id identifies it in the logs.');
}

function codeForStatus(status: number, type?: string): ErrorCode {
  if (type === 'entity.parse.failed') return 'INVALID_JSON';
  const byStatus: Record<number, ErrorCode> = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 409: 'CONFLICT', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED' };
  return byStatus[status] ?? 'UNPROCESSABLE';
}

/** SQLSTATE classes and codes of a lost or refused database connection (08: connection exception; 57P0x: shutdown). */
const CONNECTION_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
const CONNECTION_MESSAGES = [/Connection terminated/i, /Knex: Timeout acquiring a connection/i, /Client has encountered a connection error/i, /connection is closed/i, /Client was closed and is not queryable/i];

/** deadlock_detected and serialization_failure: the database chose this transaction to roll back. */
const TRANSIENT_SQLSTATES = new Set(['40P01', '40001']);

type Causes = { code?: unknown; message?: unknown; nativeError?: unknown; cause?: unknown } | undefined;

/** Whether the error or one of the errors it wraps (objection's nativeError, a cause) passes `test`. */
function anyCause(thrown: unknown, test: (error: NonNullable<Causes>) => boolean): boolean {
  let error = thrown as Causes;
  for (let depth = 0; error && depth < 4; depth++) {
    if (test(error)) return true;
    error = (error.nativeError ?? error.cause) as Causes;
  }
  return false;
}

/**
 * The database went away (restart, failover, network): answered 503 with Retry-After, never 500. Whatever
 * the request had started is rolled back with its transaction, so a retry is safe.
 */
export function isConnectionLoss(thrown: unknown): boolean {
  return anyCause(thrown, ({ code, message }) =>
    (typeof code === 'string' && (CONNECTION_SQLSTATES.test(code) || CONNECTION_ERRNOS.has(code))) ||
    (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))));
}

/**
 * A deadlock or serialization failure: the request did nothing wrong and its transaction was rolled back
 * whole, so it is answered 503 with Retry-After (a retry with the same Idempotency-Key is safe), never 500.
 */
export function isTransientConflict(thrown: unknown): boolean {
  return anyCause(thrown, ({ code }) => typeof code === 'string' && TRANSIENT_SQLSTATES.has(code));
}
