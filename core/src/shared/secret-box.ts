import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (webhook signing secrets, connector credentials) with AES-256-GCM under the
 * hub's secret key. The output carries a version, the nonce and the tag: `v1.<nonce>.<tag>.<ciphertext>`.
 * `mac` signs values the hub hands out and must recognise later (an OAuth `state`), with a key derived
 * from the same secret for each purpose, so a signature made for one purpose is worth nothing in another.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** HMAC-SHA256 of `data` (base64url) under a key of `purpose`'s own. */
  mac(purpose: string, data: string): string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError('the secret key must be 32 bytes');
  const macKeys = new Map<string, Buffer>();
  const macKey = (purpose: string): Buffer => {
    let derived = macKeys.get(purpose);
    if (!derived) {
      derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `uah mac ${purpose}`, 32));
      macKeys.set(purpose, derived);
    }
    return derived;
  };
  return {
    mac(purpose, data) {
      return createHmac('sha256', macKey(purpose)).update(data, 'utf8').digest('base64url');
    },
    seal(plaintext) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, nonce, tag, data] = sealed.split('.');
      if (version !== 'v1' || !nonce || !tag || data === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
