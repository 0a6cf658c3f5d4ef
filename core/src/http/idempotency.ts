import type { Context } from 'koa';
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { AppError, type ErrorCode } from './errors.js';
import { toAppError } from './problem.js';
import { runInTransaction } from '../db/ambient.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Stored responses are replayed for this long. */
export const IDEMPOTENCY_TTL_HOURS = 24;

interface StoredRow {
  requestHash: string;
  method: string;
  path: string;
  responseStatus: number;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  expired: boolean;
}

const REPLAYED_HEADERS = ['content-type', 'location'];

/**
 * Points where tests make a keyed request fail as a crash would: `beforeCommit` throws after the handler and
 * its stored answer are written but before they commit; `afterCommit` throws after the commit, before the
 * answer leaves (the client sees a failure, the change is in). Never set outside tests.
 */
export interface IdempotencyFaults {
  beforeCommit?(ctx: Context): void;
  afterCommit?(ctx: Context): void;
}

/** Thrown inside the unit of work to roll it back when the handler answered 5xx without throwing. */
class ServerErrorAnswer extends Error {}

/**
 * `Idempotency-Key` on POST. The request runs in one database transaction that also stores its answer:
 * either both commit or neither does, so after any crash a retry with the same key and request replays the
 * first answer (`Idempotent-Replayed: true`) or runs for the first time — never both.
 *
 * - The key is held for the request's duration by a transaction-scoped advisory lock: a duplicate arriving
 *   meanwhile gets 409 `IDEMPOTENCY_KEY_IN_USE`; a process that dies releases it with its connection, so its
 *   retry can run at once (its uncommitted work is gone with it).
 * - The same key with another method, path or body gets 409 `IDEMPOTENCY_KEY_REUSED`.
 * - The handler runs in a savepoint: a 4xx rolls back its writes and the error is stored and replayed;
 *   a 5xx (or a failed commit) stores nothing, so the retry runs again.
 * - Deferred constraints are checked before the answer is stored, so a refusal found at commit is a 4xx
 *   of the handler, not a lost answer.
 */
export function createIdempotency(deps: { knex: Knex; faults?: IdempotencyFaults }) {
  const { knex } = deps;
  return async function withIdempotency(ctx: Context, scope: string, run: () => Promise<void>): Promise<void> {
    const key = ctx.get('idempotency-key');
    if (!key || ctx.method !== 'POST') return run();
    if (!KEY_PATTERN.test(key)) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', { errors: [{ field: 'Idempotency-Key', in: 'header', message: 'invalid' }] });
    }
    const hash = createHash('sha256').update(`${ctx.method} ${ctx.path}?${ctx.querystring}\n${JSON.stringify(ctx.request.body ?? null)}`).digest('hex');
    let refusal: AppError | undefined;
    try {
      await knex.transaction(async (trx) => {
        await holdKey(trx, scope, key);
        const stored = await find(trx, scope, key);
        if (stored && !stored.expired) return replay(ctx, stored, hash);
        try {
          await trx.transaction(async (savepoint) => {
            await runInTransaction(savepoint, run);
            if (ctx.status >= 500) throw new ServerErrorAnswer();
            await savepoint.raw('SET CONSTRAINTS ALL IMMEDIATE');
          });
        } catch (error) {
          if (error instanceof ServerErrorAnswer) throw error;
          refusal = toAppError(error);
          if (refusal.status >= 500) throw error;
          await store(trx, { scope, key, ctx, hash }, refusal.status, { 'x-uah-error': 'true' }, JSON.stringify(problemOf(refusal)));
          deps.faults?.beforeCommit?.(ctx);
          return;
        }
        await store(trx, { scope, key, ctx, hash }, ctx.status, replayedHeaders(ctx), JSON.stringify(ctx.body ?? null));
        deps.faults?.beforeCommit?.(ctx);
      });
    } catch (error) {
      if (error instanceof ServerErrorAnswer) return;
      throw error;
    }
    deps.faults?.afterCommit?.(ctx);
    if (refusal) throw refusal;
  };
}

/** Holds the key until the transaction ends; a second holder is refused rather than queued. */
async function holdKey(trx: Knex.Transaction, scope: string, key: string): Promise<void> {
  const result = await trx.raw<{ rows: Array<{ held: boolean }> }>(`SELECT pg_try_advisory_xact_lock(hashtextextended(?, 7)) AS held`, [`idempotency ${scope} ${key}`]);
  if (!result.rows[0]?.held) {
    throw new AppError('IDEMPOTENCY_KEY_IN_USE', 'The first request with this Idempotency-Key is still running. Retry later.', { headers: { 'Retry-After': '1' } });
  }
}

async function find(trx: Knex.Transaction, scope: string, key: string): Promise<StoredRow | undefined> {
  const result = await trx.raw<{ rows: StoredRow[] }>(
    `SELECT request_hash AS "requestHash", method, path, response_status AS "responseStatus", response_headers AS "responseHeaders",
            response_body AS "responseBody", created_at < now() - make_interval(hours => ?) AS expired
       FROM idempotency_keys WHERE scope = ? AND key = ?`,
    [IDEMPOTENCY_TTL_HOURS, scope, key],
  );
  return result.rows[0];
}

function replayedHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = ctx.response.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

/** Marks a stored error so that its replay re-throws it through the problem boundary. */
function problemOf(error: AppError): { error: { code: string; message: string; errors?: unknown } } {
  return { error: { code: error.code, message: error.message, ...(error.errors ? { errors: error.errors } : {}) } };
}

function replay(ctx: Context, row: StoredRow, hash: string): void {
  if (row.requestHash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', `This Idempotency-Key was used for another request (${row.method} ${row.path} with another body). Use a new key.`);
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

async function store(
  trx: Knex.Transaction,
  request: { scope: string; key: string; ctx: Context; hash: string },
  status: number,
  headers: Record<string, string>,
  body: string,
): Promise<void> {
  // An expired record of the same key is replaced: past its window the key is new again.
  await trx.raw(
    `INSERT INTO idempotency_keys (scope, key, method, path, request_hash, response_status, response_headers, response_body)
     VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?)
     ON CONFLICT (scope, key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
       response_status = EXCLUDED.response_status, response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
       created_at = now(), updated_at = now()`,
    [request.scope, request.key, request.ctx.method, request.ctx.path, request.hash, status, JSON.stringify(headers), body],
  );
}

/** Deletes the records past their replay window (a scheduled job). */
export async function purgeExpiredIdempotencyKeys(knex: Knex): Promise<number> {
  return knex('idempotency_keys').where('created_at', '<', knex.raw(`now() - make_interval(hours => ?)`, [IDEMPOTENCY_TTL_HOURS])).delete();
}
