import { parseArgs } from 'node:util';
import { createCore, createSettingsStore } from '@uah/core';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, openInfrastructure } from './hub.js';
import { rotateAdminToken } from './secrets.js';
import { join, resolve } from 'node:path';
import { installConnector } from './connectors/install.js';
import { scaffoldConnector } from './connectors/scaffold.js';

const USAGE = `Usage: npm run hub -- <command>

Commands:
  serve                              run the hub (the same as npm start)
  org create <name> [--currency EUR] create an organization; prints its id and an admin API key
  admin-token rotate                 replace the generated admin token; prints the new one
  connector new <id> [--dir connectors]
                                     scaffold a connector package whose tests pass as generated
  connector install <path|tarball|package>
                                     install a connector into $DATA_DIR/connectors (listed without a restart)

The store and the bus are those of the environment (DATABASE_URL, AMQP_URL, DATA_DIR).
The embedded store can be opened by one process at a time: stop the hub first, or set DATABASE_URL.`;

async function orgCreate(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { currency: { type: 'string', default: 'USD' } }, allowPositionals: true });
  const name = positionals.join(' ').trim();
  if (!name) throw new ConfigError('org create needs a name');
  const config = loadConfig();
  const logger = createLogger({ logLevel: 'warn' });
  const { db, bus } = await openInfrastructure(config, logger);
  try {
    const core = createCore({ knex: db.knex, bus, logger, adminToken: { verify: async () => false } });
    const { validators } = await import('@uah/schemas');
    const input = { name, baseCurrency: values.currency };
    if (!validators.OrganizationCreate(input)) throw new ConfigError(`invalid organization: ${JSON.stringify(validators.OrganizationCreate.errors?.map((e) => `${e.instancePath} ${e.message}`))}`);
    const org = await core.services.organizations.create(input);
    await core.close();
    process.stdout.write(`organization: ${org.id}\napi key:      ${org.apiKey}\n(the key is shown only this once)\n`);
  } finally {
    await bus.close();
    await db.close();
  }
}

async function adminTokenRotate(): Promise<void> {
  const config = loadConfig();
  if (config.adminToken) throw new ConfigError('HUB_ADMIN_TOKEN is set: the admin token comes from the environment, change it there');
  const { db, bus } = await openInfrastructure(config, createLogger({ logLevel: 'warn' }));
  try {
    const token = await rotateAdminToken(createSettingsStore(db.knex));
    process.stdout.write(`new admin token (shown only this once): ${token}\n`);
  } finally {
    await bus.close();
    await db.close();
  }
}

async function connectorCommand(sub: string | undefined, args: string[]): Promise<boolean> {
  const { values, positionals } = parseArgs({ args, options: { dir: { type: 'string', default: 'connectors' } }, allowPositionals: true });
  const target = positionals[0];
  if (sub === 'new' && target) {
    const dir = scaffoldConnector(target, resolve(values.dir));
    process.stdout.write(`created ${dir}\nnext: npx vitest run ${dir}\n`);
    return true;
  }
  if (sub === 'install' && target) {
    const installed = installConnector(target, join(loadConfig().dataDir, 'connectors'));
    process.stdout.write(`installed ${installed.id}@${installed.version} into ${installed.dir}\n`);
    return true;
  }
  return false;
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  if (command === 'serve') {
    await import('./main.js');
    return;
  }
  if (command === 'org' && sub === 'create') return orgCreate(rest);
  if (command === 'admin-token' && sub === 'rotate') return adminTokenRotate();
  if (command === 'connector' && (await connectorCommand(sub, rest))) return;
  process.stdout.write(USAGE + '\n');
  if (command && command !== 'help' && command !== '--help') process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
