import type { Query, RequestOptions, Transport } from '../transport.js';
import { iteratePages, type Page, type PagedIterable } from '../paging.js';

/** Options of a write that accepts `?dryRun=true`: validate and compute everything, write nothing. */
export interface DryRunOptions extends RequestOptions {
  dryRun?: boolean;
}

/** Marks the dry-run forms below for the type system only: no value carries it at run time. */
declare const DRY_RUN: unique symbol;

/**
 * A write with a dry-run mode, typed by the option: `{ dryRun: true }` gives the preview `P`, no
 * option (or `dryRun: false`) the written object `R`, a `boolean` known only at run time the union.
 */
export interface DryRunWrite<B, R, P> {
  (body: B, options: DryRunOptions & { dryRun: true }): Promise<P>;
  (body: B, options?: DryRunOptions & { dryRun?: false }): Promise<R>;
  (body: B, options?: DryRunOptions): Promise<R | P>;
  readonly [DRY_RUN]: 'write';
}

/** The same as {@link DryRunWrite} for an action on one object (`issue(id, body, { dryRun })`). */
export interface DryRunAction<B, R, P> {
  (id: string, body: B, options: DryRunOptions & { dryRun: true }): Promise<P>;
  (id: string, body: B, options?: DryRunOptions & { dryRun?: false }): Promise<R>;
  (id: string, body: B, options?: DryRunOptions): Promise<R | P>;
  readonly [DRY_RUN]: 'action';
}

/** What every resource group builds on: the organization's path and typed verbs over the transport. */
export interface ResourceContext {
  /** `/v1/organizations/{id}`; throws when the client has no organization. */
  org(): string;
  /** A path segment, encoded. */
  id(value: string): string;
  get<T>(path: string, query?: object, options?: RequestOptions): Promise<T>;
  /** GET of a body that is not JSON: `text` (an export) or `bytes` (a PDF). */
  getText(path: string, query?: object, options?: RequestOptions): Promise<string>;
  getBytes(path: string, query?: object, options?: RequestOptions): Promise<Uint8Array>;
  post<T>(path: string, body?: unknown, options?: DryRunOptions): Promise<T>;
  patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
  put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
  delete<T>(path: string, options?: RequestOptions): Promise<T>;
  /** Every item of a list, page by page; `query` seeds each page, the cursor carries on. */
  iterate<T>(path: string, query?: object, options?: RequestOptions): PagedIterable<T>;
}

/** Schema query types are plain objects of scalars; the transport drops `undefined` values. */
const asQuery = (query: object | undefined): Query | undefined => (query === undefined ? undefined : { ...(query as Query) });

/** Splits our own `dryRun` option from what the transport takes, turning it into `?dryRun=true`. */
function writeInit(options: DryRunOptions | undefined): RequestOptions & { query?: Query } {
  if (!options) return {};
  const { dryRun, ...rest } = options;
  return dryRun ? { ...rest, query: { dryRun: true } } : rest;
}

export function createResourceContext(transport: Transport, organizationId: string | undefined): ResourceContext {
  const get = <T>(path: string, query?: object, o?: RequestOptions): Promise<T> => {
    const q = asQuery(query);
    return transport.request<T>('GET', path, { ...o, ...(q ? { query: q } : {}) });
  };
  const read = <T>(responseType: 'text' | 'bytes') => (path: string, query?: object, o?: RequestOptions): Promise<T> => {
    const q = asQuery(query);
    return transport.request<T>('GET', path, { ...o, responseType, ...(q ? { query: q } : {}) });
  };
  return {
    org() {
      if (!organizationId) throw new TypeError('This method needs the organizationId option of createClient (or client.forOrganization(id)).');
      return `/v1/organizations/${encodeURIComponent(organizationId)}`;
    },
    id: (value) => encodeURIComponent(value),
    get,
    getText: read<string>('text'),
    getBytes: read<Uint8Array>('bytes'),
    post: <T>(path: string, body?: unknown, o?: DryRunOptions) => transport.request<T>('POST', path, { ...writeInit(o), ...(body === undefined ? {} : { body }) }),
    patch: <T>(path: string, body: unknown, o?: RequestOptions) => transport.request<T>('PATCH', path, { ...o, body }),
    put: <T>(path: string, body: unknown, o?: RequestOptions) => transport.request<T>('PUT', path, { ...o, body }),
    delete: <T>(path: string, o?: RequestOptions) => transport.request<T>('DELETE', path, { ...o }),
    iterate: <T>(path: string, query: object = {}, o?: RequestOptions) => iteratePages<T>((cursor) => get<Page<T>>(path, { ...query, cursor }, o)),
  };
}
