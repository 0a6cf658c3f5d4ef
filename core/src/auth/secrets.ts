import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random base62 string; `bytes` of entropy (32 gives 256 bits). */
export function randomToken(bytes = 32): string {
  const raw = randomBytes(bytes);
  let out = '';
  for (const b of raw) out += ALPHABET[b % 62];
  // 256 values over 62 symbols is slightly biased; 8 extra symbols keep the entropy above `bytes` * 8 bits.
  for (const b of randomBytes(8)) out += ALPHABET[b % 62];
  return out;
}

export function newApiKeySecret(): string {
  return `uah_sk_${randomToken(32)}`;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares a presented secret with a stored SHA-256 hash in constant time. */
export function matchesHash(presented: string, hashHex: string): boolean {
  const a = Buffer.from(sha256(presented), 'hex');
  const b = Buffer.from(hashHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
