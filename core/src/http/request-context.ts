import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { newId } from '../shared/ids.js';
import type { HttpMetrics } from './metrics.js';

const INCOMING_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface RequestContextOptions {
  logger: Logger;
  metrics: HttpMetrics;
  /**
   * The route template of a request refused before its handler ran (invalid JSON, 413, 415): metrics and
   * logs count it under its route, and under `unmatched` only when no route has its path and method.
   */
  routeOf?: (method: string, path: string) => string | undefined;
}

/** Gives every request an id (the caller's `X-Request-Id` if sane), a child logger, an access log line and metrics. */
export function createRequestContext(options: RequestContextOptions) {
  return async function requestContext(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const requestId = INCOMING_ID.test(incoming) ? incoming : newId('req');
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const log = options.logger.child({ requestId });
    ctx.state.log = log;
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx.state.routePath as string | undefined) ?? options.routeOf?.(ctx.method, ctx.path) ?? 'unmatched';
      options.metrics.observe(ctx.method, route, ctx.status, seconds);
      log.info({ method: ctx.method, path: ctx.path, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  };
}
