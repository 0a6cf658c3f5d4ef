import type { Event, EventStreamMessage, EventType } from '@uah/schemas';
import { UahApiError, UahConnectionError } from './errors.js';
import type { Query } from './transport.js';

/**
 * Method-style declaration, so that handlers taking a richer event type (`ws`'s `MessageEvent`, the DOM's)
 * are accepted: TypeScript compares method parameters bivariantly.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WHATWG WebSocket the client uses: the global one (browsers, Node 22+) or `ws`'s class. */
export interface WebSocketLike {
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onerror: Handler<unknown> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface EventSubscribeOptions {
  /** Only these event types (a list, or the comma-separated string the API takes). */
  types?: EventType[] | string;
  /** Resume after this event: the events since then first, then new ones as they commit. */
  after?: string;
  /** Without `after`: `now` (default) streams new events only; `start` replays the whole log first. */
  from?: 'now' | 'start';
  /** Called once per event, in the log's order; a returned promise is awaited before the next event. */
  onEvent(event: Event): void | Promise<void>;
  /**
   * A `UahApiError` when the API refuses the stream for good (bad key, another organization's id, an
   * invalid `types` or `after`): the subscription has ended. A `UahConnectionError` when the connection
   * dropped or could not be made: the client reconnects by itself. An error thrown by `onEvent` too.
   */
  onError?(error: Error): void;
  /** The stream is live (after every connection, reconnections included). */
  onReady?(): void;
}

export interface EventSubscription {
  /** The id of the last event received: where a reconnection resumes. */
  readonly lastEventId: string | undefined;
  close(): void;
}

export interface SubscribeDeps {
  baseUrl: string;
  apiKey: string;
  /** `/v1/organizations/{id}` */
  organizationPath: string;
  /** The class, or a loader of it (Node 20 has no global WebSocket: the client loads `ws` on first use). */
  WebSocket: WebSocketConstructor | (() => Promise<WebSocketConstructor>) | undefined;
  /** Asks the REST event log the same question: a refused WebSocket does not say why, the REST API does. */
  probe(query: Query): Promise<unknown>;
  /** Reconnection delays: from `minMs`, doubling, up to `maxMs`. @default { minMs: 500, maxMs: 30000 } */
  backoff?: { minMs: number; maxMs: number };
}

const STREAM_PROTOCOL = 'uah.v1';
const BEARER_PROTOCOL_PREFIX = 'uah.bearer.';
/** Closed by the server because the client read too slowly: reconnect at once, from where it was. */
const CLOSE_TOO_SLOW = 1013;
/** Closed by the server because the key is no longer valid. */
const CLOSE_POLICY = 1008;
const RECENT_IDS = 1_000;

function isFinal(error: unknown): error is UahApiError {
  return error instanceof UahApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

function isConstructor(value: WebSocketConstructor | (() => Promise<WebSocketConstructor>)): value is WebSocketConstructor {
  return typeof value === 'function' && value.prototype !== undefined;
}

function textOf(data: unknown): string {
  return typeof data === 'string' ? data : String(data);
}

/**
 * Streams an organization's events over a WebSocket, reconnecting with backoff and resuming with
 * `after=<last event id>`, so no event is missed or delivered twice across reconnections.
 */
export function subscribeToEvents(deps: SubscribeDeps, options: EventSubscribeOptions): EventSubscription {
  if (!deps.WebSocket) throw new TypeError('No WebSocket implementation: pass the `WebSocket` option of the client (for example the class of the `ws` package).');
  const loadWebSocket = deps.WebSocket;
  let Ctor: WebSocketConstructor | undefined = isConstructor(loadWebSocket) ? loadWebSocket : undefined;
  const types = Array.isArray(options.types) ? options.types.join(',') : options.types;
  const backoff = deps.backoff ?? { minMs: 500, maxMs: 30_000 };
  let resumeAfter = options.after;
  let fromStart = options.from === 'start' && options.after === undefined;
  let lastEventId: string | undefined;
  let socket: WebSocketLike | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  let handling: Promise<void> = Promise.resolve();
  const recent = new Set<string>();

  const report = (error: Error): void => options.onError?.(error);

  function query(): Query {
    return { types, ...(resumeAfter ? { after: resumeAfter } : fromStart ? { from: 'start' } : {}) };
  }

  function urlOf(): string {
    const url = new URL(deps.baseUrl.replace(/\/+$/, '') + deps.organizationPath + '/events');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [name, value] of Object.entries(query())) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.href;
  }

  function onEvent(event: Event): void {
    if (recent.has(event.id)) return;
    recent.add(event.id);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as string);
    lastEventId = event.id;
    resumeAfter = event.id;
    handling = handling.then(() => options.onEvent(event)).catch((error: unknown) => report(error instanceof Error ? error : new Error(String(error))));
  }

  function onMessage(data: unknown): void {
    let message: EventStreamMessage;
    try {
      message = JSON.parse(textOf(data)) as EventStreamMessage;
    } catch {
      return report(new UahConnectionError('The event stream sent a frame that is not JSON.', false));
    }
    if (message.type === 'event') return onEvent(message.event);
    if (message.type !== 'ready') return;
    attempt = 0;
    // Until an event arrives, resume from where this stream began, not from "now" (which would skip).
    if (lastEventId === undefined && resumeAfter === undefined) {
      if (message.after) resumeAfter = message.after;
      else fromStart = true;
    }
    options.onReady?.();
  }

  function delayMs(): number {
    const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt);
    attempt += 1;
    return ceiling / 2 + (ceiling / 2) * Math.random();
  }

  async function afterClose(opened: boolean, code: number, reason: string): Promise<void> {
    if (!opened || code === CLOSE_POLICY) {
      try {
        // The REST list takes `types` and `after` (not `from`): enough to tell a bad key, organization or query.
        await deps.probe({ types, after: resumeAfter, limit: 1 });
      } catch (error) {
        if (isFinal(error) && !closed) {
          closed = true;
          return report(error);
        }
      }
    }
    if (closed) return;
    const detail = opened ? `The event stream closed (${code}${reason ? `: ${reason}` : ''}); reconnecting.` : 'The event stream could not connect; retrying.';
    report(new UahConnectionError(detail, false));
    timer = setTimeout(connect, code === CLOSE_TOO_SLOW ? 0 : delayMs());
  }

  function connect(): void {
    timer = undefined;
    if (closed) return;
    if (!Ctor) {
      (loadWebSocket as () => Promise<WebSocketConstructor>)().then(
        (loaded) => {
          Ctor = loaded;
          connect();
        },
        (error: unknown) => {
          closed = true;
          report(new UahConnectionError(`No WebSocket implementation could be loaded: ${(error as Error).message}`, false, { cause: error }));
        },
      );
      return;
    }
    let opened = false;
    const ws = new Ctor(urlOf(), [STREAM_PROTOCOL, BEARER_PROTOCOL_PREFIX + deps.apiKey]);
    socket = ws;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => onMessage(event.data);
    // Every failure is followed by a close event, which decides what to do.
    ws.onerror = () => undefined;
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      if (!closed) void afterClose(opened, event.code, event.reason);
    };
  }

  connect();
  return {
    get lastEventId() {
      return lastEventId;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close(1000, 'The client closed the subscription.');
      socket = undefined;
    },
  };
}
