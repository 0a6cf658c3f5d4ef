import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A folder of connectors written by a test, able to import @uah/connector-sdk through a node_modules link. */
export interface ConnectorFolder {
  root: string;
  add(folder: string, options?: { manifest?: Record<string, unknown>; source?: string; packageJson?: Record<string, unknown> | null }): string;
  remove(): void;
}

/** A valid manifest for tests: one pull data type, one action, customer events, the sample API host. */
export function testManifest(id: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Test ${id}`,
    version: '1.0.0',
    sdk: '^0.1.0',
    category: 'other',
    description: 'A connector written by a test.',
    auth: { type: 'api_key' },
    credentialsSchema: { type: 'object', properties: { apiKey: { type: 'string', minLength: 8 } }, required: ['apiKey'] },
    configSchema: { type: 'object', properties: {} },
    events: [],
    dataTypes: [{ type: 'customer', direction: 'pull', defaultFrequencyMinutes: 60 }],
    actions: [{ name: 'echo', description: 'Answers what it is given.', inputSchema: { type: 'object', properties: {} } }],
    webhooks: { receives: false },
    permissions: ['customers:write'],
    allowedHosts: ['api.sample.test'],
    ...patch,
  };
}

/** The source of a connector whose handlers are the given function bodies (`ctx` and `job`/`input` in scope). */
export function connectorSource(handlers: { sync?: string; action?: string; top?: string; extra?: string } = {}): string {
  return `import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
${handlers.top ?? ''}
export default defineConnector({
  manifest,
  sync: { customer: async (ctx, job) => { ${handlers.sync ?? 'return { created: 0, updated: 0, skipped: 0, failed: 0 };'} } },
  actions: { echo: async (ctx, input) => { ${handlers.action ?? 'return input;'} } },
  ${handlers.extra ?? ''}
});
`;
}

export function connectorFolder(): ConnectorFolder {
  const root = mkdtempSync(join(tmpdir(), 'uah-connectors-'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'), 'dir');
  return {
    root,
    add(folder, options = {}) {
      const dir = join(root, folder);
      mkdirSync(join(dir, 'src'), { recursive: true });
      if (options.packageJson !== null) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `test-${folder}`, version: '1.0.0', type: 'module', ...(options.packageJson ?? {}) }));
      writeFileSync(join(dir, 'connector.json'), JSON.stringify(options.manifest ?? testManifest(folder)));
      writeFileSync(join(dir, 'src', 'index.ts'), options.source ?? connectorSource());
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
