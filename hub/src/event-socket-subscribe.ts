import { matchesFilter } from '@uah/core';

/**
 * The seed's stream protocol: `{"type":"SUBSCRIBE","events":[...],"apiKey":"..."}`. As the first frame of a
 * socket opened without a key it authenticates the stream (within a few seconds of the upgrade); on a
 * stream that is already authenticated it changes the event filter. The key is never read from the URL.
 */
export interface SubscribeFrame {
  /** Exact types, `kind.*` or `*`; empty or absent: every event. */
  events: string[];
  apiKey: string | undefined;
}

/** Close code and reasons (a close reason holds at most 123 bytes). */
export const POLICY_VIOLATION = 1008;
export const SUBSCRIBE_EXPECTED = 'Send {"type":"SUBSCRIBE","events":[...],"apiKey":"..."} first, or authenticate the upgrade.';
export const SUBSCRIBE_TIMEOUT = 'No SUBSCRIBE frame in time: send {"type":"SUBSCRIBE","events":[...],"apiKey":"..."} on opening.';

const FILTER = /^(\*|[a-z_]{1,40}\.(\*|[a-z_]{1,60}))$/;

/** The frame, or why it is not a valid SUBSCRIBE (undefined for a frame of another type, which is ignored). */
export function parseSubscribe(text: string): SubscribeFrame | { error: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'The frame is not JSON.' };
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'SUBSCRIBE') return undefined;
  const { events, apiKey } = value as { events?: unknown; apiKey?: unknown };
  if (events !== undefined && (!Array.isArray(events) || events.length > 100 || !events.every((e) => typeof e === 'string' && FILTER.test(e)))) {
    return { error: 'SUBSCRIBE events must be a list of event types, kind.* or *.' };
  }
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length === 0 || apiKey.length > 200)) return { error: 'SUBSCRIBE apiKey must be a string.' };
  return { events: (events as string[] | undefined) ?? [], apiKey: apiKey };
}

/** Which event types a stream passes on: every one when the list is empty or absent. */
export function typeFilter(events: readonly string[] | undefined): (type: string) => boolean {
  if (!events || events.length === 0) return () => true;
  return (type) => matchesFilter(events, type);
}

/** A close reason within the protocol's 123 bytes. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -2) + '…';
  return out;
}
