import type { IntegrationConsent } from '@uah/schemas';
import type { ConnectorContext, JsonValue } from './context.js';

/**
 * The sync-state key a consent report is kept under; the hub reads it to show the consent in the
 * integration's status.
 *
 * @example
 * ```ts
 * await ctx.syncState.get(CONSENT_STATE_KEY); // what reportConsent last wrote
 * ```
 */
export const CONSENT_STATE_KEY = 'integration.consent';

/** A consent ending within this many days is reported as `EXPIRING`. */
export const CONSENT_EXPIRING_DAYS = 7;

/**
 * What a connector knows about the customer's consent with the data holder: when it ends, and whether
 * the provider has already refused it (expired or revoked), with the provider's words.
 *
 * @example
 * ```ts
 * const report: ConsentReport = { expiresAt: '2026-07-01T00:00:00.000Z' };
 * ```
 */
export interface ConsentReport {
  expiresAt: string | null;
  /** The provider refused the consent: the customer must grant it again. */
  refused?: boolean;
  detail?: string | null;
}

/**
 * Records the consent for the integration's status (`GET …/integrations/{id}/status` shows it as
 * `consent`). Call it on every sync with what the provider or the credentials say, and when the
 * provider refuses the consent, before failing the sync.
 *
 * @example
 * ```ts
 * await reportConsent(ctx, { expiresAt: ctx.credentials.consentExpiresAt ?? null });
 * // … the provider answers that the consent has expired:
 * await reportConsent(ctx, { expiresAt: null, refused: true, detail: error.message });
 * ```
 */
export async function reportConsent(ctx: Pick<ConnectorContext, 'syncState'>, report: ConsentReport): Promise<void> {
  const value: JsonValue = { expiresAt: report.expiresAt, refused: report.refused ?? false, detail: report.detail?.slice(0, 500) ?? null, reportedAt: new Date().toISOString() };
  await ctx.syncState.set(CONSENT_STATE_KEY, value);
}

const isTime = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/**
 * The consent as the integration status shows it, from what {@link reportConsent} stored: `EXPIRED` once
 * refused or past `expiresAt`, `EXPIRING` within {@link CONSENT_EXPIRING_DAYS} days, `ACTIVE` otherwise;
 * `undefined` when nothing (or something unreadable) was stored.
 *
 * @example
 * ```ts
 * consentStatus({ expiresAt: '2026-01-02T00:00:00.000Z', refused: false, detail: null, reportedAt: '2026-01-01T00:00:00.000Z' }, new Date('2026-01-01'));
 * // { status: 'EXPIRING', … }
 * ```
 */
export function consentStatus(stored: JsonValue | undefined, now: Date = new Date()): IntegrationConsent | undefined {
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return undefined;
  const { expiresAt, refused, detail, reportedAt } = stored;
  if (!isTime(reportedAt) || (expiresAt !== null && !isTime(expiresAt))) return undefined;
  const ends = expiresAt === null ? null : Date.parse(expiresAt);
  const status = refused === true || (ends !== null && ends <= now.getTime()) ? 'EXPIRED' : ends !== null && ends - now.getTime() <= CONSENT_EXPIRING_DAYS * 86_400_000 ? 'EXPIRING' : 'ACTIVE';
  return { status, expiresAt: ends === null ? null : new Date(ends).toISOString(), reportedAt: new Date(reportedAt).toISOString(), detail: typeof detail === 'string' ? detail : null };
}
