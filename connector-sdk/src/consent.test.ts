import { describe, expect, it } from 'vitest';
import type { JsonValue } from './context.js';
import { CONSENT_STATE_KEY, consentStatus, reportConsent } from './consent.js';

describe('consent reports', () => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  const stored = async (report: Parameters<typeof reportConsent>[1]): Promise<JsonValue | undefined> => {
    const state = new Map<string, JsonValue>();
    await reportConsent({ syncState: { get: async (k) => state.get(k), set: async (k, v) => void state.set(k, v), delete: async (k) => void state.delete(k) } }, report);
    return state.get(CONSENT_STATE_KEY);
  };

  it('is ACTIVE, EXPIRING within 7 days, EXPIRED past its end or once refused', async () => {
    expect(consentStatus(await stored({ expiresAt: '2026-09-01T00:00:00Z' }), now)).toMatchObject({ status: 'ACTIVE', expiresAt: '2026-09-01T00:00:00.000Z', detail: null });
    expect(consentStatus(await stored({ expiresAt: '2026-06-05T00:00:00Z' }), now)?.status).toBe('EXPIRING');
    expect(consentStatus(await stored({ expiresAt: '2026-05-31T23:59:59Z' }), now)?.status).toBe('EXPIRED');
    expect(consentStatus(await stored({ expiresAt: null }), now)).toMatchObject({ status: 'ACTIVE', expiresAt: null });
    expect(consentStatus(await stored({ expiresAt: '2026-09-01T00:00:00Z', refused: true, detail: 'revoked by the customer' }), now)).toMatchObject({ status: 'EXPIRED', detail: 'revoked by the customer' });
  });

  it('shows nothing for a missing or unreadable report', () => {
    expect(consentStatus(undefined, now)).toBeUndefined();
    expect(consentStatus('yes', now)).toBeUndefined();
    expect(consentStatus({ expiresAt: 'soon', reportedAt: '2026-06-01T00:00:00Z' }, now)).toBeUndefined();
  });
});
