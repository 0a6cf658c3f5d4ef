import type { Event } from '@uah/schemas';
import type { EventSubscribeOptions, EventSubscription } from './subscribe.js';

export type EventHandler = (event: Event) => void | Promise<void>;

/**
 * A live subscription to an organization's events with handlers by type: `on('invoice.paid', …)`,
 * wildcards (`invoice.*`, `*`), `once`, `off`. It reconnects by itself and resumes after the last event it
 * received, so no event is missed or repeated; `ready` resolves when the stream is first live.
 */
export interface EventStream {
  /** Resolves once the stream is live; rejects if the API refuses it for good (bad key, organization). */
  readonly ready: Promise<void>;
  /** The id of the last event received: pass it as `after` to resume in another process. */
  readonly lastEventId: string | undefined;
  on(pattern: string, handler: EventHandler): this;
  once(pattern: string, handler: EventHandler): this;
  /** Removes one handler, or every handler of the pattern. */
  off(pattern: string, handler?: EventHandler): this;
  /** Errors of the connection (it reconnects by itself) and of handlers. */
  onError(handler: (error: Error) => void): this;
  close(): void;
}

/** `invoice.*` matches every invoice event, `*` every event; anything else is an exact type. */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === type;
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[a-z_.]*')}$`).test(type);
}

/** Exact types are filtered by the server; with any wildcard every event comes and the client filters. */
export function serverTypes(patterns: readonly string[]): string | undefined {
  return patterns.length === 0 || patterns.some((p) => p.includes('*')) ? undefined : patterns.join(',');
}

interface Registration {
  pattern: string;
  handler: EventHandler;
  once: boolean;
}

export function createEventStream(
  open: (options: EventSubscribeOptions) => EventSubscription,
  patterns: readonly string[],
  start: { after?: string; from?: 'now' | 'start' },
): EventStream {
  const registrations: Registration[] = [];
  const errorHandlers: Array<(error: Error) => void> = [];
  let settle: { resolve(): void; reject(error: Error): void } | undefined;
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // A refused stream rejects `ready`; a caller that never awaits it is told through onError instead.
  ready.catch(() => undefined);
  let isReady = false;

  async function dispatch(event: Event): Promise<void> {
    if (patterns.length > 0 && !patterns.some((p) => matchesPattern(p, event.type))) return;
    for (const registration of [...registrations]) {
      if (!matchesPattern(registration.pattern, event.type)) continue;
      if (registration.once) registrations.splice(registrations.indexOf(registration), 1);
      await registration.handler(event);
    }
  }

  const types = serverTypes(patterns);
  const subscription = open({
    ...(types ? { types } : {}),
    ...(start.after ? { after: start.after } : start.from ? { from: start.from } : {}),
    onEvent: dispatch,
    onReady() {
      if (isReady) return;
      isReady = true;
      settle?.resolve();
    },
    onError(error) {
      if (!isReady && (error as { status?: number }).status !== undefined) settle?.reject(error);
      for (const handler of errorHandlers) handler(error);
    },
  });

  const stream: EventStream = {
    ready,
    get lastEventId() {
      return subscription.lastEventId;
    },
    on(pattern, handler) {
      registrations.push({ pattern, handler, once: false });
      return stream;
    },
    once(pattern, handler) {
      registrations.push({ pattern, handler, once: true });
      return stream;
    },
    off(pattern, handler) {
      for (let i = registrations.length - 1; i >= 0; i--) {
        const r = registrations[i] as Registration;
        if (r.pattern === pattern && (handler === undefined || r.handler === handler)) registrations.splice(i, 1);
      }
      return stream;
    },
    onError(handler) {
      errorHandlers.push(handler);
      return stream;
    },
    close() {
      subscription.close();
      if (!isReady) settle?.reject(new Error('The subscription was closed before it was live.'));
    },
  };
  return stream;
}
