import type { Context } from 'koa';
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { AppError, type ErrorCode } from './errors.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** How long a claimed key is held by a request in progress before another may take it over. */
const LOCK_SECONDS = 60;
/** Stored responses are replayed for this long. */
export const IDEMPOTENCY_TTL_HOURS = 24;

interface StoredRow {
  requestHash: string;
  method: string;
  path: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  lockedUntil: Date | null;
}

const REPLAYED_HEADERS = ['content-type', 'location'];

/**
 * `Idempotency-Key` on POST: the first request with a key claims it and its response is stored; a
 * retry with the same key and the same request gets the stored response (`Idempotent-Replayed: true`);
 * the same key with another request gets 409, and so does a retry while the first is still running,
 * so two concurrent duplicates never both run. Server errors (5xx) are not stored: the retry runs again.
 */
export function createIdempotency(deps: { knex: Knex }) {
  return async function withIdempotency(ctx: Context, scope: string, run: () => Promise<void>): Promise<void> {
    const key = ctx.get('idempotency-key');
    if (!key || ctx.method !== 'POST') return run();
    if (!KEY_PATTERN.test(key)) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', { errors: [{ field: 'Idempotency-Key', in: 'header', message: 'invalid' }] });
    }
    const hash = createHash('sha256').update(`${ctx.method} ${ctx.path}?${ctx.querystring}\n${JSON.stringify(ctx.request.body ?? null)}`).digest('hex');
    const claimed = await claim(deps.knex, scope, key, ctx, hash);
    if (claimed !== true) return replay(ctx, claimed, hash);
    try {
      await run();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (typeof status === 'number' && status < 500) {
        await store(deps.knex, scope, key, status, {}, JSON.stringify(problemOf(error)), true);
      } else {
        await deps.knex('idempotency_keys').where({ scope, key }).delete();
      }
      throw error;
    }
    if (ctx.status >= 500) {
      await deps.knex('idempotency_keys').where({ scope, key }).delete();
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = ctx.response.get(name);
      if (value) headers[name] = value;
    }
    await store(deps.knex, scope, key, ctx.status, headers, JSON.stringify(ctx.body ?? null), false);
  };
}

/** Marks a stored error so that its replay re-throws it through the problem boundary. */
function problemOf(error: unknown): { error: { code: string; message: string; errors?: unknown } } {
  const e = error as AppError;
  return { error: { code: e.code ?? 'UNPROCESSABLE', message: e.message, ...(e.errors ? { errors: e.errors } : {}) } };
}

async function claim(knex: Knex, scope: string, key: string, ctx: Context, hash: string): Promise<true | StoredRow> {
  const inserted = await knex.raw<{ rows: unknown[] }>(
    `INSERT INTO idempotency_keys (scope, key, method, path, request_hash, locked_until)
     VALUES (?, ?, ?, ?, ?, now() + make_interval(secs => ?))
     ON CONFLICT (scope, key) DO UPDATE SET locked_until = EXCLUDED.locked_until, request_hash = EXCLUDED.request_hash,
       method = EXCLUDED.method, path = EXCLUDED.path, created_at = now(), updated_at = now(), response_status = NULL, response_body = NULL
     WHERE idempotency_keys.created_at < now() - make_interval(hours => ?)
        OR (idempotency_keys.response_status IS NULL AND idempotency_keys.locked_until < now() AND idempotency_keys.request_hash = EXCLUDED.request_hash)
     RETURNING key`,
    [scope, key, ctx.method, ctx.path, hash, LOCK_SECONDS, IDEMPOTENCY_TTL_HOURS],
  );
  if (inserted.rows.length > 0) return true;
  const row = (await knex('idempotency_keys').where({ scope, key }).first()) as StoredRow | undefined;
  if (!row) return claim(knex, scope, key, ctx, hash);
  return row;
}

function replay(ctx: Context, row: StoredRow, hash: string): void {
  if (row.requestHash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', `This Idempotency-Key was used for another request (${row.method} ${row.path} with another body). Use a new key.`);
  }
  if (row.responseStatus === null) {
    throw new AppError('IDEMPOTENCY_KEY_IN_USE', 'The first request with this Idempotency-Key is still running. Retry later.', { headers: { 'Retry-After': '1' } });
  }
  const body = row.responseBody === null ? null : (JSON.parse(row.responseBody) as unknown);
  ctx.set('Idempotent-Replayed', 'true');
  const stored = row.responseHeaders ?? {};
  if ((stored['x-uah-error'] ?? '') === 'true') {
    const { error } = body as { error: { code: ErrorCode; message: string; errors?: [] } };
    throw new AppError(error.code, error.message, error.errors ? { errors: error.errors } : undefined);
  }
  for (const [name, value] of Object.entries(stored)) ctx.set(name, value);
  ctx.status = row.responseStatus;
  ctx.body = body;
}

async function store(knex: Knex, scope: string, key: string, status: number, headers: Record<string, string>, body: string, isError: boolean): Promise<void> {
  await knex('idempotency_keys')
    .where({ scope, key })
    .update({
      response_status: status,
      response_headers: JSON.stringify(isError ? { ...headers, 'x-uah-error': 'true' } : headers),
      response_body: body,
      locked_until: null,
      updated_at: knex.fn.now(),
    });
}

/** Deletes the records past their replay window (a scheduled job); a request still running keeps its claim. */
export async function purgeExpiredIdempotencyKeys(knex: Knex): Promise<number> {
  return knex('idempotency_keys')
    .where('created_at', '<', knex.raw(`now() - make_interval(hours => ?)`, [IDEMPOTENCY_TTL_HOURS]))
    .where((q) => void q.whereNotNull('response_status').orWhere('locked_until', '<', knex.fn.now()))
    .delete();
}
