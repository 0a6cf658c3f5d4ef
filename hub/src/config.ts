import { isAbsolute, resolve } from 'node:path';

/** The hub's configuration, from the environment (see README.md, "Configuration"). */
export interface HubConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  dataDir: string;
  secretKey: string | undefined;
  adminToken: string | undefined;
  smtpUrl: string | undefined;
  connectorsPath: string[];
  webhookAllowPrivate: boolean;
  /** Group commit of journal entries posted without an Idempotency-Key, new customers and vendors (PostgreSQL only). */
  groupCommit: boolean;
  /** The address the world reaches the hub at (OAuth2 callbacks); unset: the hub's own address. */
  publicUrl: string | undefined;
  /** Where the OAuth2 callback sends the browser once an integration is authorized; unset: a small page. */
  oauthReturnUrl: string | undefined;
  /** The durable queue the webhook worker reads events from; hubs that share a broker but not a database need their own. */
  webhookQueue: string;
  /** The prefix of the connectors' durable event queues (`<prefix>.<connector id>`); hubs that share a broker but not a database need their own. */
  connectorQueuePrefix: string;
  /** How often the hub queues the syncs that are due and starts the queued ones ("sync now" included). */
  syncTickSeconds: number;
  /** An endpoint failing every attempt this long (and `minFailures` in a row) is disabled, after a warning at half of it. */
  webhookDisable: { afterHours: number; minFailures: number };
  /** Settled webhook deliveries and their attempts are kept this many days. */
  webhookRetentionDays: number;
  logLevel: string;
  /** A key's requests per window (RATE_LIMIT) and the window. */
  rateLimit: { limit: number; windowSeconds: number };
  /** An organization's requests per window (all its keys) by tier, when set (else 1×, 10× and 100× RATE_LIMIT). */
  tierLimits: { FREE?: number; STANDARD?: number; ENTERPRISE?: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(`${name} must start with ${protocols.join(' or ')}`);
  return raw;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function optionalTiers(env: NodeJS.ProcessEnv): HubConfig['tierLimits'] {
  const tiers: HubConfig['tierLimits'] = {};
  for (const tier of ['FREE', 'STANDARD', 'ENTERPRISE'] as const) {
    const name = `RATE_LIMIT_${tier}`;
    if (env[name]) tiers[tier] = integer(env, name, 1, 1, 1_000_000_000);
  }
  return tiers;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const dataDir = env['DATA_DIR'] || './.data';
  const logLevel = env['LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env['HOST'] || '0.0.0.0',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    amqpUrl: url(env, 'AMQP_URL', ['amqp:', 'amqps:']),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    secretKey: env['HUB_SECRET_KEY'] || undefined,
    adminToken: env['HUB_ADMIN_TOKEN'] || undefined,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    connectorsPath: (env['CONNECTORS_PATH'] ?? '').split(':').filter(Boolean).map((p) => resolve(p)),
    webhookAllowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE'),
    // LEDGER_GROUP_COMMIT: its name from when only journal entries were group-committed, still honoured.
    groupCommit: boolean(env, 'GROUP_COMMIT', boolean(env, 'LEDGER_GROUP_COMMIT', true)),
    publicUrl: url(env, 'PUBLIC_URL', ['https:', 'http:']),
    oauthReturnUrl: url(env, 'OAUTH_RETURN_URL', ['https:', 'http:']),
    webhookQueue: env['WEBHOOK_QUEUE'] || 'uah.webhooks',
    connectorQueuePrefix: env['CONNECTOR_QUEUE_PREFIX'] || 'uah.connector',
    syncTickSeconds: integer(env, 'SYNC_TICK_SECONDS', 30, 1, 3600),
    webhookDisable: { afterHours: integer(env, 'WEBHOOK_DISABLE_AFTER_HOURS', 24, 1, 24 * 90), minFailures: integer(env, 'WEBHOOK_DISABLE_MIN_FAILURES', 10, 1, 100_000) },
    webhookRetentionDays: integer(env, 'WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    logLevel,
    rateLimit: { limit: integer(env, 'RATE_LIMIT', 1000, 1, 10_000_000), windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 10, 1, 3600) },
    tierLimits: optionalTiers(env),
  };
}
