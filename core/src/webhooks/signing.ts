import { createHmac, randomBytes } from 'node:crypto';

/** Secrets are `whsec_` + the base64 of this many random bytes (Standard Webhooks asks for 24 to 64). */
const SECRET_BYTES = 32;
const PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`, as Standard Webhooks defines it. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`: one entry of the `webhook-signature` header. */
export function signStandard(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
}

/** `sha256=<hex HMAC-SHA256 of the body>` with the same key bytes: the `X-Webhook-Signature-256` header. */
export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secretKey(secret)).update(body, 'utf8').digest('hex');
}

export interface SignInput {
  /** The delivery id (`msg_…`): the same on every attempt, so receivers dedupe by it. */
  id: string;
  /** Seconds since the epoch, of this attempt. */
  timestamp: number;
  body: string;
  eventType: string;
  /** The current secret first; during a rotation, the previous one too (receivers accept either). */
  secrets: readonly string[];
}

/**
 * The headers that sign one attempt: Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature` with one `v1,` entry per secret, space-separated) and the `X-Webhook-*` headers,
 * whose body signature uses the current secret.
 */
export function signatureHeaders(input: SignInput): Record<string, string> {
  const [current] = input.secrets;
  if (!current) throw new Error('a delivery needs a signing secret');
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': input.secrets.map((secret) => signStandard(secret, input.id, input.timestamp, input.body)).join(' '),
    'x-webhook-signature-256': signBody(current, input.body),
    'x-webhook-event': input.eventType,
    'x-webhook-delivery': input.id,
    'x-webhook-timestamp': String(input.timestamp),
  };
}
