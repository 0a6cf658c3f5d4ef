import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_VERSION } from '@uah/connector-sdk';

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function files(id: string): Record<string, string> {
  const manifest = {
    id, name: id, version: '0.1.0', sdk: `^${SDK_VERSION}`, category: 'other', description: `The ${id} connector.`,
    auth: { type: 'api_key', apiKey: { in: 'header', name: 'Authorization' } },
    credentialsSchema: { type: 'object', additionalProperties: false, properties: { apiKey: { type: 'string', minLength: 8 } }, required: ['apiKey'] },
    configSchema: { type: 'object', additionalProperties: false, properties: { baseUrl: { type: 'string', format: 'uri' } } },
    events: [], dataTypes: [{ type: 'customer', direction: 'pull', defaultFrequencyMinutes: 60 }],
    actions: [{ name: 'hello', description: 'Answers with the organization it runs for.', inputSchema: { type: 'object', additionalProperties: false, properties: {} } }],
    webhooks: { receives: false }, permissions: ['customers:read'], allowedHosts: [`api.${id}.test`],
  };
  return {
    'package.json': JSON.stringify({ name: `uah-connector-${id}`, version: '0.1.0', private: true, type: 'module', keywords: ['uah-connector'], exports: { '.': './src/index.ts' }, dependencies: { '@uah/connector-sdk': SDK_VERSION } }, null, 2) + '\n',
    'connector.json': JSON.stringify(manifest, null, 2) + '\n',
    'CHANGELOG.md': `# Changelog\n\n## 0.1.0\n- First version.\n`,
    'src/index.ts': `import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';

export interface Credentials {
  apiKey: string;
}
export interface Config {
  baseUrl?: string;
}

export default defineConnector<Credentials, Config>({
  manifest,
  sync: {
    // Read the provider's records changed since job.since, match them with ctx.mappings, write them with ctx.entities.
    customer: async (ctx, job) => {
      ctx.logger.info('customer sync', { full: job.full, since: job.since ?? null });
      return { created: 0, updated: 0, skipped: 0, failed: 0 };
    },
  },
  actions: {
    hello: async (ctx) => ({ hello: ctx.organizationId }),
  },
});
`,
    [`test/${id}.test.ts`]: `import { describe, expect, it } from 'vitest';
import { contractProblems, createTestContext } from '@uah/connector-sdk/testing';
import connector from '../src/index.js';

describe('${id} connector', () => {
  it('keeps the connector contract', () => {
    expect(contractProblems(connector)).toEqual([]);
  });

  it('runs its action and its sync, logging no secret and calling only its hosts', async () => {
    const test = createTestContext(connector, { credentials: { apiKey: 'sk_test_0123456789' }, organizationId: 'org_test' });
    expect(await connector.actions!.hello!(test.ctx, {})).toEqual({ hello: 'org_test' });
    expect(await connector.sync!.customer!(test.ctx, { dataType: 'customer', direction: 'pull', trigger: 'manual', full: true, lastSuccessAt: null })).toEqual({ created: 0, updated: 0, skipped: 0, failed: 0 });
    expect(contractProblems(connector, test)).toEqual([]);
  });
});
`,
  };
}

/** Writes a new connector package into `parent/<id>`: manifest, handlers, a passing test, changelog. */
export function scaffoldConnector(id: string, parent: string): string {
  if (!ID.test(id) || id.length > 64) throw new Error(`"${id}" is not a connector id: lower-case words joined by hyphens (e.g. acme-books)`);
  const dir = join(parent, id);
  if (existsSync(dir)) throw new Error(`${dir} exists already`);
  for (const [path, text] of Object.entries(files(id))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
