import type {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyListQuery,
  Customer,
  CustomerCreate,
  CustomerListQuery,
  CustomerUpdate,
  Event,
  EventListQuery,
  EventType,
  Organization,
  OrganizationCreate,
  OrganizationCreated,
} from '@uah/schemas';
import { createTransport, type Query, type RequestOptions, type Transport, type TransportOptions } from './transport.js';
import { subscribeToEvents, type EventSubscribeOptions, type EventSubscription, type WebSocketConstructor } from './subscribe.js';

/** A page of a list: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Every item of a list, fetched page by page as the loop needs them; `pages()` walks the pages instead. */
export interface PagedIterable<T> extends AsyncIterable<T> {
  pages(): AsyncIterable<Page<T>>;
}

export interface ClientOptions extends TransportOptions {
  /**
   * The organization the key belongs to: the paths of the API are under `/v1/organizations/{id}`.
   * Needed by every method except `organizations.create` (admin token).
   */
  organizationId?: string;
  /**
   * The WebSocket class for `events.subscribe`, where there is no global one (Node 20: pass the `ws`
   * package's class). Default: `globalThis.WebSocket` (browsers, Node 22+).
   */
  WebSocket?: WebSocketConstructor;
}

/** `types` as a list of event types (or the comma-separated string the API takes). */
export type EventListOptions = Omit<EventListQuery, 'types'> & { types?: EventType[] | string };

export interface UahClient {
  readonly organizationId: string | undefined;
  organizations: {
    /** The client's organization, or another one an admin token may read. */
    get(organizationId?: string, options?: RequestOptions): Promise<Organization>;
    /** Needs the hub admin token as `apiKey`. The new organization's first key is in `apiKey`, shown once. */
    create(body: OrganizationCreate, options?: RequestOptions): Promise<OrganizationCreated>;
  };
  apiKeys: {
    /** The secret is in `secret`, shown only this once. */
    create(body?: ApiKeyCreate, options?: RequestOptions): Promise<ApiKeyCreated>;
    list(query?: ApiKeyListQuery, options?: RequestOptions): Promise<Page<ApiKey>>;
    revoke(id: string, options?: RequestOptions): Promise<ApiKey>;
  };
  customers: {
    create(body: CustomerCreate, options?: RequestOptions): Promise<Customer>;
    get(id: string, options?: RequestOptions): Promise<Customer>;
    list(query?: CustomerListQuery, options?: RequestOptions): Promise<Page<Customer>>;
    iterate(query?: Omit<CustomerListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Customer>;
    update(id: string, body: CustomerUpdate, options?: RequestOptions): Promise<Customer>;
    deactivate(id: string, options?: RequestOptions): Promise<Customer>;
  };
  events: {
    list(query?: EventListOptions, options?: RequestOptions): Promise<Page<Event>>;
    /** Every event after `after` (or from the start), oldest first, matching `types`. */
    iterate(query?: Omit<EventListOptions, 'cursor'>, options?: RequestOptions): PagedIterable<Event>;
    /**
     * Streams new events over a WebSocket as they commit (after `after`, or the whole log with
     * `from: 'start'`), reconnecting by itself and resuming after the last event received: none is
     * missed or repeated. `close()` ends it.
     */
    subscribe(options: EventSubscribeOptions): EventSubscription;
  };
  /** The same client for another organization (an admin token manages several). */
  forOrganization(organizationId: string): UahClient;
}

/** Walks a list by its cursors; `after` only seeds the first page (the cursor carries on from there). */
function iterate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): PagedIterable<T> {
  async function* pages(): AsyncGenerator<Page<T>> {
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.data;
    },
  };
}

function eventQuery(query: EventListOptions): Query {
  const { types, ...rest } = query;
  return { ...rest, ...(types === undefined ? {} : { types: Array.isArray(types) ? types.join(',') : types }) };
}

/** What `events.subscribe` needs besides the transport. */
interface StreamOptions {
  baseUrl: string;
  apiKey: string;
  WebSocket: WebSocketConstructor | undefined;
}

function resources(transport: Transport, organizationId: string | undefined, stream: StreamOptions): UahClient {
  const org = (): string => {
    if (!organizationId) throw new TypeError('This method needs the organizationId option of createClient (or client.forOrganization(id)).');
    return `/v1/organizations/${encodeURIComponent(organizationId)}`;
  };
  const id = (value: string): string => encodeURIComponent(value);
  const get = <T>(path: string, query?: Query, o?: RequestOptions): Promise<T> => transport.request<T>('GET', path, { ...o, ...(query ? { query } : {}) });
  const post = <T>(path: string, body: unknown, o?: RequestOptions): Promise<T> => transport.request<T>('POST', path, { ...o, ...(body === undefined ? {} : { body }) });

  return {
    organizationId,
    organizations: {
      get: (orgId, o) => get(orgId ? `/v1/organizations/${id(orgId)}` : org(), undefined, o),
      create: (body, o) => post('/v1/organizations', body, o),
    },
    apiKeys: {
      create: (body, o) => post(`${org()}/api-keys`, body ?? {}, o),
      list: (query, o) => get(`${org()}/api-keys`, { ...query }, o),
      revoke: (keyId, o) => post(`${org()}/api-keys/${id(keyId)}/revoke`, undefined, o),
    },
    customers: {
      create: (body, o) => post(`${org()}/customers`, body, o),
      get: (customerId, o) => get(`${org()}/customers/${id(customerId)}`, undefined, o),
      list: (query, o) => get(`${org()}/customers`, { ...query }, o),
      iterate: (query = {}, o) => iterate((cursor) => get(`${org()}/customers`, { ...query, cursor }, o)),
      update: (customerId, body, o) => transport.request('PATCH', `${org()}/customers/${id(customerId)}`, { ...o, body }),
      deactivate: (customerId, o) => post(`${org()}/customers/${id(customerId)}/deactivate`, undefined, o),
    },
    events: {
      list: (query = {}, o) => get(`${org()}/events`, eventQuery(query), o),
      iterate: (query = {}, o) => {
        const { after: _seed, ...rest } = query;
        return iterate((cursor) => get(`${org()}/events`, eventQuery(cursor === undefined ? query : { ...rest, cursor }), o));
      },
      subscribe: (options) => {
        const organizationPath = org();
        return subscribeToEvents({ ...stream, organizationPath, probe: (query) => get(`${organizationPath}/events`, query) }, options);
      },
    },
    forOrganization: (other) => resources(transport, other, stream),
  };
}

/**
 * A typed client for the Universal Accounting Hub REST API. Methods return the API's objects (types
 * from @uah/schemas) and throw a `UahApiError` carrying the problem+json fields when the API refuses.
 * Every POST carries an Idempotency-Key (generated unless given), so the client retries it safely
 * after a 429, a 5xx or a lost connection; GETs are retried too, PATCHes only after a 429.
 *
 * @example
 * ```ts
 * const uah = createClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.UAH_API_KEY!, organizationId: 'org_…' });
 * const customer = await uah.customers.create({ businessName: 'Acme Ltd', email: 'billing@acme.test' });
 * for await (const event of uah.events.iterate({ types: ['customer.created'] })) console.log(event.id, event.type);
 * ```
 */
export function createClient(options: ClientOptions): UahClient {
  const globalWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return resources(createTransport(options), options.organizationId, { baseUrl: options.baseUrl, apiKey: options.apiKey, WebSocket: options.WebSocket ?? globalWebSocket });
}
