import Koa, { type Context, type Next } from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { AppError } from './errors.js';
import { createProblemBoundary } from './problem.js';
import { createRequestContext } from './request-context.js';
import type { HttpMetrics } from './metrics.js';
import type { Actor, Route } from './route.js';
import { validateInput } from './validate.js';
import { createJsonBody, readRawBody } from './json-body.js';
import { refuseNulCharacters } from './json-input.js';
import { takeForKey, type RateLimiter } from './rate-limit.js';
import { effectiveLimits, type TierLimits } from '../auth/tiers.js';
import type { createIdempotency } from './idempotency.js';
import { authenticate, type AdminTokenVerifier } from '../auth/authenticate.js';
import type { ApiKeyService } from '../auth/api-key-service.js';
import type { SessionService } from '../auth/session-service.js';

export interface AppDeps {
  routes: Route[];
  logger: Logger;
  metrics: HttpMetrics;
  apiKeys: ApiKeyService;
  /** Dashboard sessions: a request without a bearer token may authenticate with the session cookie. */
  sessions?: SessionService;
  adminToken: AdminTokenVerifier;
  rateLimiter: RateLimiter;
  /** Requests per window of each organization tier (a key's request counts for its organization and itself). */
  tierLimits: TierLimits;
  withIdempotency: ReturnType<typeof createIdempotency>;
  /** Largest JSON body accepted (default 1 MB). */
  bodyLimit?: string;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The Koa application: the platform middleware, then one router entry per route of the table. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;
  const router = new Router();
  for (const route of deps.routes) {
    router.register(route.path, [route.method], handlerFor(route, deps), { name: route.operationId });
  }
  memoizeMatch(router);
  const routeOf = (method: string, path: string): string | undefined => {
    const layer = router.match(path, method).pathAndMethod.find((l) => l.methods.length > 0);
    return typeof layer?.path === 'string' ? layer.path : undefined;
  };
  app.use(createRequestContext({ logger: deps.logger, metrics: deps.metrics, routeOf }));
  app.use(createProblemBoundary());
  // Raw-body routes (signed webhooks) read their own bytes: neither the JSON rule nor the parser applies.
  const rawPrefixes = deps.routes.filter((r) => r.rawBody).map((r) => r.path.slice(0, r.path.indexOf('/:') + 1 || undefined));
  const isRaw = (ctx: Context): boolean => rawPrefixes.some((prefix) => ctx.path.startsWith(prefix));
  const jsonBody = createJsonBody({ limit: deps.bodyLimit ?? '1mb' });
  app.use(async function jsonUnlessRaw(ctx: Context, next: Next): Promise<void> {
    if (isRaw(ctx)) await next();
    else await requireJson(ctx, () => jsonBody(ctx, next));
  });
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AppError('METHOD_NOT_ALLOWED'),
      notImplemented: () => new AppError('METHOD_NOT_ALLOWED'),
    }),
  );
  return app;
}

/** An id in a path (`prefix_ULID`, see shared/ids.ts); no route has a literal segment of that shape. */
const ID_SEGMENT = /\/[a-z]+_[0-9A-HJKMNP-TV-Z]{26}(?=\/|$)/gi;
const MATCH_CACHE_SIZE = 2000;

/**
 * The router tests a request's path against every route's pattern in turn, twice a request (the metrics'
 * route label and the dispatch): with a hundred-odd routes that was a tenth of the server's CPU a posting.
 * Which routes match depends only on the path's shape, the path with its ids replaced (a parameter matches
 * any id alike), so the answer is kept per method and shape; what is given out is a copy, since the router
 * adds to the lists it gets. Paths whose parameters are not ids (a connector's name) each have a shape of
 * their own, so the cache is emptied when it reaches its size.
 */
function memoizeMatch(router: Router): void {
  type Match = ReturnType<Router['match']>;
  const match = router.match.bind(router);
  const cache = new Map<string, Match>();
  router.match = (path: string, method: string): Match => {
    const key = `${method} ${path.replace(ID_SEGMENT, '/\u0000')}`;
    let found = cache.get(key);
    if (found === undefined) {
      found = match(path, method);
      if (cache.size >= MATCH_CACHE_SIZE) cache.clear();
      cache.set(key, found);
    }
    return { ...found, path: [...found.path], pathAndMethod: [...found.pathAndMethod] };
  };
}

/** A body must be JSON: anything else is refused with 415 before it is read. */
async function requireJson(ctx: Context, next: Next): Promise<void> {
  if (BODY_METHODS.has(ctx.method) && ctx.request.length !== 0 && (ctx.request.length !== undefined || ctx.get('transfer-encoding'))) {
    if (!ctx.is('application/json', 'application/*+json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json, not ${ctx.get('content-type') || 'an unlabelled body'}.`);
    }
  }
  await next();
}

function queryObject(ctx: Context, route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    if (name === 'dryRun' && route.dryRun) continue;
    out[name] = value;
  }
  return out;
}

function handlerFor(route: Route, deps: AppDeps) {
  return async function routeHandler(ctx: Context): Promise<void> {
    ctx.state.routePath = route.path;
    checkPathParams(ctx.params as Record<string, string>);
    const actor = await authenticate(ctx, route, deps);
    if (route.auth !== 'none') applyRateLimit(ctx, deps, actor);

    const query = queryObject(ctx, route);
    refuseNulCharacters(query, 'query');
    if (route.query) validateInput(route.query, 'query', query);
    else if (Object.keys(query).length > 0) validateInput('EmptyQuery', 'query', query);
    const dryRunParam = ctx.query['dryRun'];
    if (dryRunParam !== undefined && dryRunParam !== 'true' && dryRunParam !== 'false') {
      throw new AppError('VALIDATION_FAILED', 'dryRun must be true or false.', { errors: [{ field: '/dryRun', in: 'query', message: 'must be true or false' }] });
    }
    let body: unknown;
    if (route.body) {
      body = ctx.request.body;
      if (body === undefined || (ctx.request.length === undefined && !ctx.get('transfer-encoding'))) body = {};
      refuseNulCharacters(body);
      validateInput(route.body, 'body', body);
    }

    const rawBody = route.rawBody ? await readRawBody(ctx, deps.bodyLimit ?? '1mb') : new Uint8Array();
    const organizationId = (ctx.params as Record<string, string | undefined>)['orgId'] ?? actor.organizationId ?? '';
    const run = async (): Promise<void> => {
      const result = await route.handler({ params: ctx.params as Record<string, string>, body: body as never, query, organizationId, actor, dryRun: dryRunParam === 'true', ctx, rawBody });
      if (ctx.body === undefined || ctx.body === null) {
        ctx.status = route.response.status;
        if (result !== undefined) ctx.body = result;
      }
    };
    await deps.withIdempotency(ctx, actor.organizationId ?? actor.kind, run);
  };
}

/** Ids are `prefix_ULID`: anything else (a NUL byte, a path, 500 characters) names nothing that exists. */
const PATH_PARAM = /^[A-Za-z0-9_-]{1,100}$/;

function checkPathParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    if (!PATH_PARAM.test(value)) throw new AppError('NOT_FOUND', `No ${name.replace(/Id$/, '')} ${JSON.stringify(value.slice(0, 100))}.`);
  }
}

function applyRateLimit(ctx: Context, deps: Pick<AppDeps, 'rateLimiter' | 'tierLimits'>, actor: Actor): void {
  const decision = actor.apiKeyId && actor.organizationId
    ? takeForKey(deps.rateLimiter, { id: actor.apiKeyId, organizationId: actor.organizationId }, effectiveLimits(deps.tierLimits, actor.rateLimits))
    : { ...deps.rateLimiter.take(actor.kind === 'admin' ? 'admin' : `ip:${ctx.ip}`), scope: 'key' as const };
  ctx.set('RateLimit-Limit', String(decision.limit));
  ctx.set('RateLimit-Remaining', String(decision.remaining));
  ctx.set('RateLimit-Reset', String(decision.resetSeconds));
  if (!decision.allowed) {
    const who = decision.scope === 'organization' ? "This organization's API keys together" : 'This API key';
    throw new AppError('RATE_LIMITED', `${who} made more than ${decision.limit} requests in the current window. Retry after ${decision.resetSeconds} s.`, {
      headers: { 'Retry-After': String(decision.resetSeconds) },
    });
  }
}
