import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '@uah/core';
import { signState, verifyState, type StateClaims } from './state.js';

const box = createSecretBox(randomBytes(32));
const claims: StateClaims = { organizationId: 'org_1', connectorId: 'acme', version: '1.0.0', nonce: 'n_1', expiresAt: Math.floor(Date.now() / 1000) + 600 };

describe('OAuth state', () => {
  it('verifies what this hub signed, with its claims', () => {
    expect(verifyState(box, signState(box, claims))).toEqual({ claims });
  });

  it('refuses a state that was altered, signed by another key, or is not a state at all', () => {
    const state = signState(box, claims);
    const [payload, mac] = state.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ o: 'org_2', c: 'acme', v: '1.0.0', n: 'n_1', e: claims.expiresAt })).toString('base64url');
    expect(verifyState(box, `${other}.${mac}`)).toEqual({ problem: 'invalid' });
    expect(verifyState(box, `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toEqual({ problem: 'invalid' });
    expect(verifyState(createSecretBox(randomBytes(32)), state)).toEqual({ problem: 'invalid' });
    for (const junk of ['', 'abc', 'a.b.c', `${state}.x`, 'x'.repeat(5000)]) expect(verifyState(box, junk)).toEqual({ problem: 'invalid' });
  });

  it('refuses an expired state', () => {
    const state = signState(box, { ...claims, expiresAt: 1_000 });
    expect(verifyState(box, state)).toEqual({ problem: 'expired' });
    expect(verifyState(box, signState(box, claims), (claims.expiresAt + 1) * 1000)).toEqual({ problem: 'expired' });
  });
});
