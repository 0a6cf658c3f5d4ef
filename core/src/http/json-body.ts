import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import Bourne from '@hapi/bourne';
import { AppError } from './errors.js';
import { checkJsonLimits, JSON_LIMITS, type JsonLimits } from './json-input.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Only an object or an array is a body (RFC 8259 whitespace may precede it). */
const STARTS_AS_CONTAINER = /^[ \t\n\r]*[[{]/;

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (validated against the route's schema before a handler sees it). */
    body?: unknown;
    /** The body exactly as received (decoded to text), for signature checks of provider webhooks. */
    rawBody?: string;
  }
}

function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return req;
  const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported; send identity, gzip, deflate or br.`);
  req.on('error', (error) => decoder.destroy(error));
  return req.pipe(decoder);
}

/** raw-body's failures as the problems the API answers. */
function readFailure(thrown: unknown, limit: string): AppError {
  if (thrown instanceof AppError) return thrown;
  const error = thrown as { type?: string; message?: string };
  if (error.type === 'entity.too.large') return new AppError('BODY_TOO_LARGE', `The body is larger than ${limit}.`);
  if (error.type === 'encoding.unsupported') return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 JSON.');
  return new AppError('INVALID_JSON', `The body could not be read: ${error.message ?? 'aborted'}.`);
}

async function readText(ctx: Context, limit: string): Promise<string> {
  const length = ctx.request.length;
  const identity = !ctx.get('content-encoding') || ctx.get('content-encoding').toLowerCase() === 'identity';
  try {
    return await getRawBody(decoded(ctx.req), { limit, encoding: 'utf-8', ...(identity && length !== undefined ? { length } : {}) });
  } catch (thrown) {
    throw readFailure(thrown, limit);
  }
}

/** The body's bytes exactly as sent (no decoding), at most `limit`: what a signed provider webhook is checked over. */
export async function readRawBody(ctx: Context, limit: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await getRawBody(ctx.req, { limit, ...(ctx.request.length !== undefined ? { length: ctx.request.length } : {}) }));
  } catch (thrown) {
    throw readFailure(thrown, limit);
  }
}

/**
 * Reads a JSON body (the content type was checked before): at most `limit` bytes after decompression, an
 * object or an array, within the structural limits (checked on the text before parsing, so a hostile body
 * never costs a parse), with `__proto__` keys refused. Sets `ctx.request.body` and `ctx.request.rawBody`.
 */
export function createJsonBody(options: { limit?: string; limits?: JsonLimits } = {}) {
  const limit = options.limit ?? '1mb';
  const limits = options.limits ?? JSON_LIMITS;
  return async function jsonBody(ctx: Context, next: Next): Promise<void> {
    const hasBody = ctx.request.length !== undefined ? ctx.request.length > 0 : Boolean(ctx.get('transfer-encoding'));
    if (!BODY_METHODS.has(ctx.method) || !hasBody) {
      await next();
      return;
    }
    const text = await readText(ctx, limit);
    ctx.request.rawBody = text;
    if (text.trim() === '') {
      ctx.request.body = {};
      await next();
      return;
    }
    if (!STARTS_AS_CONTAINER.test(text)) throw new AppError('INVALID_JSON', 'The body is not valid JSON: a body is a JSON object or array.');
    checkJsonLimits(text, limits);
    try {
      ctx.request.body = Bourne.parse(text, { protoAction: 'error' }) as unknown;
    } catch (error) {
      throw new AppError('INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}`);
    }
    await next();
  };
}
