import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));
  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('whsec_abc');
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(a);
    expect(a).not.toContain('whsec_abc');
  });
  it('refuses tampered data and another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
  it('signs per purpose: the same data signs alike under one key and purpose only', () => {
    const key = randomBytes(32);
    const a = createSecretBox(key);
    expect(a.mac('oauth-state', 'x')).toBe(createSecretBox(key).mac('oauth-state', 'x'));
    expect(a.mac('oauth-state', 'x')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.mac('oauth-state', 'y')).not.toBe(a.mac('oauth-state', 'x'));
    expect(a.mac('other', 'x')).not.toBe(a.mac('oauth-state', 'x'));
    expect(box.mac('oauth-state', 'x')).not.toBe(a.mac('oauth-state', 'x'));
  });
});
