import type { IncomingHttpHeaders } from 'node:http';
import type { Problem } from '@uah/schemas';
import type { ApiKeyService, AuthenticatedKey } from '../auth/api-key-service.js';
import type { SessionService } from '../auth/session-service.js';
import { sameOrigin, sessionSecretOf } from '../auth/session-cookie.js';
import { AppError, ERRORS, PROBLEM_TYPE_BASE, notFound, organizationNotFound } from '../http/errors.js';
import { takeForKey, type RateLimiter } from '../http/rate-limit.js';
import { effectiveLimits, type TierLimits } from '../auth/tiers.js';
import { validateInput } from '../http/validate.js';
import type { EventTailSubscription } from './stream.js';

/** The path of the event log, which a WebSocket upgrade turns into the live stream. */
const STREAM_PATH = /^\/v1\/organizations\/([^/]+)\/events\/?$/;
/** Browsers cannot set headers on a WebSocket: they send the key as this subprotocol instead. */
export const BEARER_PROTOCOL_PREFIX = 'uah.bearer.';
/** The subprotocol the server selects (never the one carrying the key, so the key is not echoed back). */
export const STREAM_PROTOCOL = 'uah.v1';

const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="uah"' } };

export interface StreamGrant {
  key: AuthenticatedKey;
  /** The secret presented, to check again later that the key was not revoked. */
  secret: string;
  /** For a stream opened with the dashboard's session cookie: its secret, checked again the same way. */
  session?: string;
  subscription: EventTailSubscription & { from: 'now' | 'start' };
}

export interface EventStreamAccess {
  /**
   * Checks an upgrade request before the handshake, with the REST API's rules: a valid key (header or
   * subprotocol), of the path's organization (else 404), with the `read` scope, within its rate limit,
   * and a valid query. Throws an AppError to answer with (ROUTE_NOT_FOUND for another path).
   */
  authorize(request: { url: string; headers: IncomingHttpHeaders }): Promise<StreamGrant>;
  /** Whether the key behind a grant is still valid (revocation ends a stream). */
  stillValid(grant: StreamGrant): Promise<boolean>;
  /**
   * For an upgrade that carries no key (the SUBSCRIBE protocol, where the key comes in the first frame):
   * checks the path and query only. Throws like `authorize`.
   */
  prepare(request: { url: string }): PendingStream;
  /** Grants a prepared stream to the key of a SUBSCRIBE frame, with the same rules as `authorize`. */
  authorizeKey(pending: PendingStream, secret: string): Promise<StreamGrant>;
}

/** An upgrade waiting for its SUBSCRIBE frame: the organization and the query it asked for. */
export interface PendingStream {
  organizationId: string;
  subscription: StreamGrant['subscription'];
}

function pathOf(url: string): URL {
  if (!URL.canParse(url, 'http://stream.invalid')) throw new AppError('ROUTE_NOT_FOUND', 'The request URL cannot be parsed.');
  return new URL(url, 'http://stream.invalid');
}

/** The key from `Authorization: Bearer …`, or from the `uah.bearer.<key>` subprotocol. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (header?.[1]) return header[1];
  const protocols = (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const bearer = protocols.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return bearer ? bearer.slice(BEARER_PROTOCOL_PREFIX.length) || undefined : undefined;
}

function organizationOf(url: URL): string {
  const match = STREAM_PATH.exec(url.pathname);
  try {
    return decodeURIComponent(match?.[1] ?? '');
  } catch {
    throw notFound('organization');
  }
}

function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name in query) throw new AppError('VALIDATION_FAILED', `The query parameter ${name} is given twice.`, { errors: [{ field: `/${name}`, in: 'query', message: 'is given twice' }] });
    query[name] = value;
  }
  return query;
}

/** Whether an upgrade carries a credential (a key, or the dashboard's session cookie) rather than waiting for a SUBSCRIBE frame. */
export function presentsCredential(headers: IncomingHttpHeaders): boolean {
  return presentedKey(headers) !== undefined || sessionSecretOf(headers.cookie) !== undefined;
}

export function createEventStreamAccess(deps: { apiKeys: ApiKeyService; sessions?: SessionService | undefined; rateLimiter?: RateLimiter | undefined; tierLimits?: TierLimits | undefined }): EventStreamAccess {
  /**
   * The dashboard's session cookie, when no key is presented. A WebSocket cannot carry the CSRF header,
   * so the upgrade must come from a page of the hub's own origin (browsers always send `Origin`).
   */
  async function sessionKey(headers: IncomingHttpHeaders, secret: string): Promise<AuthenticatedKey | undefined> {
    if (!sameOrigin(headers.origin, headers.host)) throw new AppError('FORBIDDEN', 'A stream opened with the session cookie must come from a page of the hub itself.');
    return deps.sessions?.authenticate(secret);
  }

  async function keyFor(secret: string | undefined, organizationId: string, session?: { headers: IncomingHttpHeaders; secret: string }): Promise<AuthenticatedKey> {
    if (!secret && !session) throw new AppError('UNAUTHENTICATED', 'Send `Authorization: Bearer <API key>`, or the key as the WebSocket subprotocol `uah.bearer.<API key>`.', challenge);
    const key = secret ? await deps.apiKeys.authenticate(secret) : session && (await sessionKey(session.headers, session.secret));
    if (!key) throw new AppError('UNAUTHENTICATED', secret ? 'The API key is not valid or has been revoked.' : 'The session has expired or was signed out.', challenge);
    if (key.organizationId !== organizationId) throw organizationNotFound(organizationId);
    if (!key.scopes.includes('read')) throw new AppError('FORBIDDEN', 'The event stream needs the `read` scope.');
    const decision = deps.rateLimiter && (deps.tierLimits ? takeForKey(deps.rateLimiter, key, effectiveLimits(deps.tierLimits, key.rateLimits)) : deps.rateLimiter.take(key.id));
    if (decision && !decision.allowed) {
      throw new AppError('RATE_LIMITED', `This API key made more than ${decision.limit} requests in the current window. Retry after ${decision.resetSeconds} s.`, {
        headers: { 'Retry-After': String(decision.resetSeconds) },
      });
    }
    return key;
  }

  function prepare(request: { url: string }): PendingStream {
    const url = pathOf(request.url);
    if (!STREAM_PATH.test(url.pathname)) throw new AppError('ROUTE_NOT_FOUND', `No WebSocket at ${url.pathname}.`);
    const organizationId = organizationOf(url);
    const query = queryOf(url);
    validateInput('EventStreamQuery', 'query', query);
    const { types, after, from } = query as { types?: string; after?: string; from?: 'now' | 'start' };
    if (after !== undefined && from !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'Give either `after` or `from`, not both.', { errors: [{ field: '/from', in: 'query', message: 'cannot be combined with after' }] });
    }
    return { organizationId, subscription: { organizationId, types: types?.split(','), after, from: from ?? 'now' } };
  }

  return {
    prepare,

    async authorize(request) {
      const secret = presentedKey(request.headers);
      const session = secret || !deps.sessions ? undefined : sessionSecretOf(request.headers.cookie);
      // The path first (404 for another route), then the key, then the query.
      const url = pathOf(request.url);
      if (!STREAM_PATH.test(url.pathname)) throw new AppError('ROUTE_NOT_FOUND', `No WebSocket at ${url.pathname}.`);
      const key = await keyFor(secret, organizationOf(url), session ? { headers: request.headers, secret: session } : undefined);
      const pending = prepare(request);
      return { key, secret: secret ?? '', ...(session ? { session } : {}), subscription: pending.subscription };
    },

    async authorizeKey(pending, secret) {
      const key = await keyFor(secret, pending.organizationId);
      return { key, secret, subscription: pending.subscription };
    },

    async stillValid(grant) {
      if (grant.session) return (await deps.sessions?.authenticate(grant.session))?.id === grant.key.id;
      return (await deps.apiKeys.authenticate(grant.secret))?.id === grant.key.id;
    },
  };
}

/** The RFC 9457 body (and headers) that answer a refused upgrade, as the REST API renders errors. */
export function problemOf(error: AppError, instance: string, requestId: string): { status: number; headers: Record<string, string>; body: Problem } {
  return {
    status: error.status,
    headers: { ...(error.headers ?? {}) },
    body: {
      type: PROBLEM_TYPE_BASE + error.code,
      title: ERRORS[error.code].title,
      status: error.status,
      detail: error.message,
      instance,
      code: error.code,
      requestId,
      ...(error.errors ? { errors: error.errors } : {}),
    },
  };
}
