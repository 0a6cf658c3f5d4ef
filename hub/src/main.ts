import { ConfigError, loadConfig } from './config.js';
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
  if (hub.generatedAdminToken) {
    process.stdout.write(
      [
        '',
        'No HUB_ADMIN_TOKEN was set, so one was generated. It is shown only this once; only its hash is stored:',
        '',
        `  ${hub.generatedAdminToken}`,
        '',
        'Create an organization with it:',
        '',
        `  curl -X POST ${hub.url}/v1/organizations -H "Authorization: Bearer ${hub.generatedAdminToken}" -H "Content-Type: application/json" -d '{"name":"Acme Ltd"}'`,
        '',
        '(Lost it? `npm run hub -- admin-token rotate` makes a new one.)',
        '',
      ].join('\n') + '\n',
    );
  }
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

main().catch((error: unknown) => {
  process.stderr.write(`the hub could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
