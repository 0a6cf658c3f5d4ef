import type { Context } from 'koa';
import type { ApiKeyScope } from '@uah/schemas';
import { AppError, organizationNotFound } from '../http/errors.js';
import type { Actor, Route } from '../http/route.js';
import type { ApiKeyService } from './api-key-service.js';

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

/**
 * Resolves who is calling and whether the route lets them: an API key of the path's organization with
 * the route's scope, or the hub admin token where the route allows it. A key used on another
 * organization's path gets 404, as if the organization did not exist.
 */
export async function authenticate(ctx: Context, route: Route, deps: { apiKeys: ApiKeyService; adminToken: AdminTokenVerifier }): Promise<Actor> {
  const mode = route.auth ?? 'apiKey';
  if (mode === 'none') return { kind: 'anonymous', scopes: [], eventMetadata: actorBase(ctx) };
  const token = bearer(ctx);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Send `Authorization: Bearer <API key>`.', challenge);

  if (mode !== 'apiKey' && !token.startsWith('uah_sk_') && (await deps.adminToken.verify(token))) {
    return { kind: 'admin', scopes: ['read', 'write', 'admin'], eventMetadata: { ...actorBase(ctx), userId: 'admin' } };
  }
  if (mode === 'admin') throw new AppError('UNAUTHENTICATED', 'This route needs the hub admin token.', challenge);

  const key = await deps.apiKeys.authenticate(token);
  if (!key) throw new AppError('UNAUTHENTICATED', 'The API key is not valid or has been revoked.', challenge);
  const orgId = (ctx.params as Record<string, string> | undefined)?.['orgId'];
  if (orgId !== undefined && orgId !== key.organizationId) throw organizationNotFound(orgId);
  const needed: ApiKeyScope = route.scope ?? (route.method === 'GET' ? 'read' : 'write');
  if (!key.scopes.includes(needed)) throw new AppError('FORBIDDEN', `This request needs the \`${needed}\` scope.`);
  return {
    kind: 'apiKey',
    apiKeyId: key.id,
    organizationId: key.organizationId,
    scopes: key.scopes,
    eventMetadata: { ...actorBase(ctx), userId: key.id },
  };
}
