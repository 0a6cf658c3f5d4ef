import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Event } from '@uah/schemas';

/** Headers as node's `req.headers`, a fetch `Headers`, or a plain object (any case). */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far the `webhook-timestamp` may be from now, either way, in seconds. @default 300 */
  toleranceSeconds?: number;
  /** The current time in ms, for tests. @default Date.now() */
  now?: number;
}

/** A webhook that is not ours, was changed, or is too old (a replay): answer it with 400 and do nothing. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * Verifies a webhook from the hub (the Standard Webhooks scheme) and returns its event. `rawBody` must be
 * the body exactly as received, before any JSON parsing. During a secret rotation pass both secrets: a
 * delivery signed with either is accepted. Signatures are compared in constant time, and a timestamp
 * further than `toleranceSeconds` from now is refused, so a captured delivery cannot be replayed later.
 *
 * @throws WebhookVerificationError
 * @example
 * ```ts
 * const event = verifyWebhook(process.env.WEBHOOK_SECRET, req.headers, rawBody);
 * ```
 */
export function verifyWebhook(secret: string | readonly string[], headers: WebhookHeaders, rawBody: string | Uint8Array, options: VerifyWebhookOptions = {}): Event {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature.');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('The webhook-timestamp is not a number of seconds.');
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) throw new WebhookVerificationError('The webhook-timestamp is too old or too far in the future.');
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const presented = signatures.split(' ').flatMap((entry) => (entry.startsWith('v1,') ? [Buffer.from(entry.slice(3), 'base64')] : []));
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new WebhookVerificationError('No secret to verify with.');
  let valid = false;
  for (const candidate of secrets) {
    const expected = createHmac('sha256', keyOf(candidate)).update(signed).digest();
    for (const signature of presented) if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
  }
  if (!valid) throw new WebhookVerificationError('No signature matches.');
  try {
    return JSON.parse(body.toString('utf8')) as Event;
  } catch {
    throw new WebhookVerificationError('The body is not JSON.');
  }
}
