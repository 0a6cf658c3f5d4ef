import type { Context } from 'koa';
import type { ApiKeyScope } from '@uah/schemas';
import { AppError, organizationNotFound } from '../http/errors.js';
import type { Actor, Route } from '../http/route.js';
import type { ApiKeyService, AuthenticatedKey } from './api-key-service.js';
import { csrfTokenMatches, type SessionService } from './session-service.js';
import { CSRF_HEADER, sessionSecretOf } from './session-cookie.js';

export interface AdminTokenVerifier {
  verify(token: string): Promise<boolean>;
}

const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="uah"' } };

function bearer(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function actorBase(ctx: Context): Actor['eventMetadata'] {
  const userAgent = ctx.get('user-agent');
  return {
    source: 'API',
    correlationId: ctx.state.requestId as string,
    ...(ctx.ip ? { ipAddress: ctx.ip } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, 300) } : {}),
  };
}

/** Methods that change nothing: a session's request with another method must carry its CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Resolves who is calling and whether the route lets them: an API key of the path's organization with
 * the route's scope (sent as a bearer token, or through a dashboard session's cookie, which acts as the
 * key it was made from), or the hub admin token where the route allows it. A key used on another
 * organization's path gets 404, as if the organization did not exist.
 */
export async function authenticate(
  ctx: Context,
  route: Route,
  deps: { apiKeys: ApiKeyService; adminToken: AdminTokenVerifier; sessions?: SessionService | undefined },
): Promise<Actor> {
  const mode = route.auth ?? 'apiKey';
  if (mode === 'none') return { kind: 'anonymous', scopes: [], eventMetadata: actorBase(ctx) };
  const token = bearer(ctx);
  const sessionSecret = token || mode === 'admin' || !deps.sessions ? undefined : sessionSecretOf(ctx.get('cookie'));
  if (sessionSecret && deps.sessions) return sessionActor(ctx, route, sessionSecret, deps.sessions);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Send `Authorization: Bearer <API key>`.', challenge);

  if (mode !== 'apiKey' && !token.startsWith('uah_sk_') && (await deps.adminToken.verify(token))) {
    return { kind: 'admin', scopes: ['read', 'write', 'admin'], eventMetadata: { ...actorBase(ctx), userId: 'admin' } };
  }
  if (mode === 'admin') throw new AppError('UNAUTHENTICATED', 'This route needs the hub admin token.', challenge);

  const key = await deps.apiKeys.authenticate(token);
  if (!key) throw new AppError('UNAUTHENTICATED', 'The API key is not valid or has been revoked.', challenge);
  return keyActor(ctx, route, key);
}

/** A dashboard session: one lookup (the session with its key); writes need the session's CSRF token too. */
async function sessionActor(ctx: Context, route: Route, secret: string, sessions: SessionService): Promise<Actor> {
  const session = await sessions.authenticate(secret);
  if (!session) throw new AppError('UNAUTHENTICATED', 'The session has expired or was signed out: sign in again.');
  if (!SAFE_METHODS.has(ctx.method) && !csrfTokenMatches(secret, ctx.get(CSRF_HEADER) || undefined)) {
    throw new AppError('CSRF_TOKEN_INVALID', 'Send the session\'s `csrfToken` (from `GET /v1/sessions/current`) in the `X-CSRF-Token` header.');
  }
  return { ...keyActor(ctx, route, session), session: { secret, current: session } };
}

/** The organization and scope checks, the same for a key and for a session acting as one. */
function keyActor(ctx: Context, route: Route, key: AuthenticatedKey): Actor {
  const orgId = (ctx.params as Record<string, string> | undefined)?.['orgId'];
  if (orgId !== undefined && orgId !== key.organizationId) throw organizationNotFound(orgId);
  const needed: ApiKeyScope = route.scope ?? (route.method === 'GET' ? 'read' : 'write');
  if (!key.scopes.includes(needed)) throw new AppError('FORBIDDEN', `This request needs the \`${needed}\` scope.`);
  return {
    kind: 'apiKey',
    apiKeyId: key.id,
    organizationId: key.organizationId,
    scopes: key.scopes,
    ...(key.rateLimits ? { rateLimits: key.rateLimits } : {}),
    eventMetadata: { ...actorBase(ctx), userId: key.id },
  };
}
