import type { Context } from 'koa';
import { AppError } from '../http/errors.js';
import { defineRoute, type Actor, type Route } from '../http/route.js';
import type { SessionService } from './session-service.js';
import { clearedSessionCookie, sessionCookie } from './session-cookie.js';

/** The cookie is Secure when the page that asked was served over https (directly or, by its Origin, through a proxy). */
function secure(ctx: Context): boolean {
  return ctx.protocol === 'https' || ctx.get('origin').startsWith('https:');
}

function currentSession(actor: Actor): NonNullable<Actor['session']> {
  if (!actor.session) throw new AppError('NOT_FOUND', 'This request carries no session cookie: sign in with `POST /v1/sessions`.');
  return actor.session;
}

/**
 * Sessions of the dashboard: an API key is exchanged once for an HttpOnly cookie, so the browser never
 * keeps the key. Any valid key may sign in (a read-only key gets a read-only session).
 */
export function createSessionRoutes(deps: { sessions: SessionService; ttlSeconds: number }): Route[] {
  const { sessions } = deps;
  return [
    defineRoute({
      method: 'POST', path: '/v1/sessions', operationId: 'createSession', tag: 'Sessions', scope: 'read',
      summary: 'Sign in: exchange an API key for a session cookie',
      description:
        'Authenticate with `Authorization: Bearer <API key>`. The answer sets the `uah_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over https) and returns the session with its `csrfToken`. ' +
        'Requests sent with the cookie and no bearer token act as the key, with its scopes, until the session expires (12 hours), is signed out, or the key is revoked; every request other than GET must also send the `X-CSRF-Token` header.',
      response: { status: 201, schema: 'Session' },
      handler: async ({ actor, ctx }) => {
        if (!actor.apiKeyId || !actor.organizationId) throw new AppError('UNAUTHENTICATED', 'Sign in with an API key.');
        const { secret, session } = await sessions.create({ id: actor.apiKeyId, organizationId: actor.organizationId, scopes: actor.scopes });
        ctx.set('Set-Cookie', sessionCookie(secret, { maxAgeSeconds: deps.ttlSeconds, secure: secure(ctx) }));
        ctx.set('Cache-Control', 'no-store');
        return session;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/sessions/current', operationId: 'getCurrentSession', tag: 'Sessions', scope: 'read',
      summary: 'The session of the cookie sent',
      description: 'The organization, the scopes and the CSRF token of the session; 401 when the cookie is missing, expired or signed out.',
      query: 'EmptyQuery', response: { status: 200, schema: 'Session' },
      handler: async ({ actor, ctx }) => {
        const { secret, current } = currentSession(actor);
        ctx.set('Cache-Control', 'no-store');
        return sessions.describe(current, secret);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/sessions/current', operationId: 'deleteCurrentSession', tag: 'Sessions', scope: 'read',
      summary: 'Sign out', description: 'Revokes the session of the cookie (it stops working at once) and clears the cookie.',
      response: { status: 204, description: 'Signed out.' },
      handler: async ({ actor, ctx }) => {
        await sessions.revoke(currentSession(actor).current);
        ctx.set('Set-Cookie', clearedSessionCookie(secure(ctx)));
        ctx.status = 204;
        return undefined;
      },
    }),
  ];
}
