/** A secret rotated out: it keeps signing, next to the current one, until `expiresAt`. */
export interface PreviousSecret {
  sealed: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** After a rotation the old secret signs alongside the new one this long, so receivers can roll over. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
/**
 * Secrets in their grace period kept at most. Each adds a signature to `webhook-signature` (Standard Webhooks
 * lets a receiver accept any of them); past this many rotations within one grace period the oldest stops early.
 */
export const MAX_PREVIOUS_SECRETS = 4;

const live = (previous: readonly PreviousSecret[], now: Date): PreviousSecret[] => previous.filter((p) => new Date(p.expiresAt) > now);

/** The previous secrets after rotating `currentSealed` out at `now`: newest first, expired ones dropped. */
export function rotateOut(currentSealed: string, previous: readonly PreviousSecret[], now: Date): PreviousSecret[] {
  const rotated = { sealed: currentSealed, expiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString() };
  return [rotated, ...live(previous, now)].slice(0, MAX_PREVIOUS_SECRETS);
}

/** The sealed previous secrets that still sign at `now`, newest first. */
export function signingPrevious(previous: readonly PreviousSecret[] | null | undefined, now: Date): string[] {
  return live(previous ?? [], now).map((p) => p.sealed);
}

/** When the last grace period ends, or null when no previous secret signs any more. */
export function graceEndsAt(previous: readonly PreviousSecret[] | null | undefined, now: Date): Date | null {
  const ends = live(previous ?? [], now).map((p) => new Date(p.expiresAt).getTime());
  return ends.length === 0 ? null : new Date(Math.max(...ends));
}
