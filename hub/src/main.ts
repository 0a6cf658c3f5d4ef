import { ConfigError, loadConfig } from './config.js';
import type { Logger } from 'pino';
import { createLogger, startHub } from './hub.js';

/** `npm start`: runs the hub until SIGTERM/SIGINT, then shuts down gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  const hub = await startHub(config, logger);
  if (hub.generatedAdminToken) announceAdminToken(logger, hub.url, hub.generatedAdminToken);
  let signalled = false;
  const shutdown = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    hub.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * The admin token generated at first start, shown once as one JSON log record: a log shipper keeps it whole
 * and a person finds the token and the command beside the message. It is written whatever LOG_LEVEL says
 * (a child logger at `info`), since it cannot be shown again.
 */
function announceAdminToken(logger: Logger, url: string, token: string): void {
  logger.child({ component: 'setup' }, { level: 'info' }).warn(
    {
      adminToken: token,
      createOrganization: `curl -X POST ${url}/v1/organizations -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '{"name":"Acme Ltd"}'`,
    },
    'No HUB_ADMIN_TOKEN was set, so one was generated: adminToken is shown only this once (only its hash is stored); createOrganization is the command that uses it. Lost it? `npm run hub -- admin-token rotate` makes a new one.',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`the hub could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
