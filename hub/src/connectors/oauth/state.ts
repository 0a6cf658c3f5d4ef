import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '@uah/core';

/** What a `state` binds: the integration being authorized, the nonce of its stored row, and its expiry. */
export interface StateClaims {
  organizationId: string;
  connectorId: string;
  version: string;
  nonce: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const PURPOSE = 'oauth-state';
const MAX_STATE = 1000;

/** Why a state is refused: it was not made by this hub (or was altered), or it is too old. */
export type StateProblem = 'invalid' | 'expired';

/**
 * `<payload>.<mac>`: the claims as base64url JSON, signed with an HMAC under the hub's secret. The
 * payload is readable (nothing in it is secret); what matters is that only this hub can make one.
 */
export function signState(box: Pick<SecretBox, 'mac'>, claims: StateClaims): string {
  const payload = Buffer.from(JSON.stringify({ o: claims.organizationId, c: claims.connectorId, v: claims.version, n: claims.nonce, e: claims.expiresAt })).toString('base64url');
  return `${payload}.${box.mac(PURPOSE, payload)}`;
}

/** The claims of a state this hub signed and that has not expired at `now`, or why not. */
export function verifyState(box: Pick<SecretBox, 'mac'>, state: string, now = Date.now()): { claims: StateClaims } | { problem: StateProblem } {
  const [payload, mac, ...rest] = state.length <= MAX_STATE ? state.split('.') : [];
  if (!payload || !mac || rest.length > 0) return { problem: 'invalid' };
  const expected = Buffer.from(box.mac(PURPOSE, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { problem: 'invalid' };
  let raw: { o?: unknown; c?: unknown; v?: unknown; n?: unknown; e?: unknown };
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof raw;
  } catch {
    return { problem: 'invalid' };
  }
  const { o, c, v, n, e } = raw;
  if (typeof o !== 'string' || typeof c !== 'string' || typeof v !== 'string' || typeof n !== 'string' || typeof e !== 'number') return { problem: 'invalid' };
  if (e * 1000 <= now) return { problem: 'expired' };
  return { claims: { organizationId: o, connectorId: c, version: v, nonce: n, expiresAt: e } };
}
