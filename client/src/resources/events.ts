import type { Event, EventListQuery, EventType } from '@uah/schemas';
import { iteratePages, type Page, type PagedIterable } from '../paging.js';
import { subscribeToEvents, type EventSubscribeOptions, type EventSubscription, type WebSocketConstructor } from '../subscribe.js';
import type { Query, RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/** `types` as a list of event types (or the comma-separated string the API takes). */
export type EventListOptions = Omit<EventListQuery, 'types'> & { types?: EventType[] | string };

export interface EventsResource {
  list(query?: EventListOptions, options?: RequestOptions): Promise<Page<Event>>;
  /** Every event after `after` (or from the start), oldest first, matching `types`. */
  iterate(query?: Omit<EventListOptions, 'cursor'>, options?: RequestOptions): PagedIterable<Event>;
  /**
   * Streams new events over a WebSocket as they commit (after `after`, or the whole log with
   * `from: 'start'`), reconnecting by itself and resuming after the last event received: none is
   * missed or repeated. `close()` ends it.
   */
  subscribe(options: EventSubscribeOptions): EventSubscription;
}

/** What `events.subscribe` needs besides the transport. */
export interface StreamOptions {
  baseUrl: string;
  apiKey: string;
  WebSocket: WebSocketConstructor | (() => Promise<WebSocketConstructor>) | undefined;
}

function eventQuery(query: EventListOptions): Query {
  const { types, ...rest } = query;
  return { ...rest, ...(types === undefined ? {} : { types: Array.isArray(types) ? types.join(',') : types }) };
}

export function createEventsResource(c: ResourceContext, stream: StreamOptions): EventsResource {
  const base = (): string => `${c.org()}/events`;
  return {
    list: (query = {}, o) => c.get(base(), eventQuery(query), o),
    iterate: (query = {}, o) => {
      // `after` only seeds the first page: the cursor carries on from there.
      const { after: _seed, ...rest } = query;
      return iteratePages((cursor) => c.get(base(), eventQuery(cursor === undefined ? query : { ...rest, cursor }), o));
    },
    subscribe: (options) => {
      const organizationPath = c.org();
      return subscribeToEvents({ ...stream, organizationPath, probe: (query) => c.get(`${organizationPath}/events`, query) }, options);
    },
  };
}
