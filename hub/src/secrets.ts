import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { matchesHash, randomToken, sha256, type AdminTokenVerifier } from '@uah/core';
import type { SettingsStore } from '@uah/core';

const ADMIN_TOKEN_KEY = 'admin_token_sha256';

/**
 * The key that encrypts secrets at rest: HUB_SECRET_KEY (base64 of 32 bytes), or one generated once
 * into `$DATA_DIR/secret.key`, readable by the owner only.
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) {
    const key = Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new Error('HUB_SECRET_KEY must be the base64 of 32 random bytes (`openssl rand -base64 32`)');
    return key;
  }
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/**
 * The admin token: HUB_ADMIN_TOKEN when set; otherwise one generated at first start, whose hash alone
 * is stored (so it is printed once and can never be read back). `generated` is the new token, if any.
 */
export async function resolveAdminToken(configured: string | undefined, settings: SettingsStore): Promise<{ verifier: AdminTokenVerifier; generated?: string }> {
  if (configured) {
    const hash = sha256(configured);
    return { verifier: { verify: async (token) => matchesHash(token, hash) } };
  }
  const candidate = `uah_admin_${randomToken(32)}`;
  const stored = await settings.setIfAbsent(ADMIN_TOKEN_KEY, sha256(candidate));
  // Read at each use (admin calls are rare), so a `hub admin-token rotate` applies to running processes too.
  const verifier = { verify: async (token: string) => matchesHash(token, (await settings.get<string>(ADMIN_TOKEN_KEY)) ?? stored) };
  return stored === sha256(candidate) ? { verifier, generated: candidate } : { verifier };
}

/** Replaces the stored admin token with a new one and returns it (`hub admin-token rotate`). */
export async function rotateAdminToken(settings: SettingsStore): Promise<string> {
  const token = `uah_admin_${randomToken(32)}`;
  await settings.set(ADMIN_TOKEN_KEY, sha256(token));
  return token;
}
