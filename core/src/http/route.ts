import type { Context } from 'koa';
import type { ApiKeyScope, EventMetadata, SchemaTypes } from '@uah/schemas';
import type { AuthenticatedSession } from '../auth/session-service.js';
import type { KeyRateLimits } from '../auth/tiers.js';

export type SchemaName = keyof SchemaTypes;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who is calling: the key (or the admin token) and the request facts that go into event metadata. */
export interface Actor {
  kind: 'apiKey' | 'admin' | 'anonymous';
  apiKeyId?: string;
  organizationId?: string;
  scopes: ApiKeyScope[];
  eventMetadata: EventMetadata;
  /** The organization's tier and the limits set on it and on the key. */
  rateLimits?: KeyRateLimits;
  /** The dashboard session the key acts through (its cookie's secret), when the request came with one. */
  session?: { secret: string; current: AuthenticatedSession };
}

export interface HandlerInput<B extends SchemaName | undefined, Q extends SchemaName | undefined> {
  params: Record<string, string>;
  body: B extends SchemaName ? SchemaTypes[B] : undefined;
  query: Q extends SchemaName ? SchemaTypes[Q] : undefined;
  /** The organization of the path (`:orgId`), already checked against the caller's key. */
  organizationId: string;
  actor: Actor;
  /** The exact bytes of the body on a `rawBody` route (empty otherwise). */
  rawBody: Uint8Array;
  /** `?dryRun=true` on a route that supports it: validate and compute, write nothing. */
  dryRun: boolean;
  ctx: Context;
}

export interface ResponseSpec {
  status: number;
  description?: string;
  /** The response body's schema. */
  schema?: SchemaName;
  /** The response is a page `{ data: <list>[], nextCursor }`. */
  list?: SchemaName;
  /** A body that is not JSON (a PDF, a text export, Prometheus metrics). */
  contentType?: string;
  /** Other media types the same status may answer with (e.g. `text/plain` for `?format=ledger`). */
  alsoContentTypes?: string[];
  /** The route may also answer with a redirect (`Location`), e.g. a browser sent on to an OAuth provider. */
  redirect?: { status: 302 | 303; description: string };
}

/**
 * A route is data: everything the router, the validator, the auth middleware and the OpenAPI document
 * need to know, and the handler that receives validated, typed input. Its return value is the body.
 */
export interface Route<B extends SchemaName | undefined = SchemaName | undefined, Q extends SchemaName | undefined = SchemaName | undefined> {
  method: HttpMethod;
  /** Koa-style path with `:params`, e.g. `/v1/organizations/:orgId/customers/:customerId`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** `apiKey` (default), `admin` (the hub admin token), `apiKeyOrAdmin`, or `none`. */
  auth?: 'apiKey' | 'admin' | 'apiKeyOrAdmin' | 'none';
  /** Scope the key needs: `read` for GET, `write` otherwise, unless stated. */
  scope?: ApiKeyScope;
  body?: B;
  query?: Q;
  /** Accepts `?dryRun=true`. */
  dryRun?: boolean;
  /**
   * The body is taken as raw bytes of any media type, up to 1 MB, in `HandlerInput.rawBody` (signed
   * provider webhooks: a signature covers the exact bytes). The path must start with a fixed prefix.
   */
  rawBody?: boolean;
  response: ResponseSpec;
  /** Extra statuses the operation documents besides the common errors. */
  errors?: number[];
  handler(input: HandlerInput<B, Q>): Promise<unknown>;
}

/** Keeps the body and query types of each route tied to its schema names. */
export function defineRoute<B extends SchemaName | undefined = undefined, Q extends SchemaName | undefined = undefined>(route: Route<B, Q>): Route {
  return route;
}
