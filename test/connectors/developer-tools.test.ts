import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform } from '../../hub/src/connectors/platform.js';

const id = `scaffolded-${randomBytes(3).toString('hex')}`;
const connectorDir = resolve('connectors', id);
const dataDir = mkdtempSync(join(tmpdir(), 'uah-data-'));
const hub = (...args: string[]): string => execFileSync('node', ['--import', 'tsx', 'hub/src/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDir } });

afterAll(() => {
  rmSync(connectorDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('connector developer tools', () => {
  it('scaffolds a connector whose own tests pass as generated', () => {
    expect(hub('connector', 'new', id)).toContain(`created ${connectorDir}`);
    const output = execFileSync('npx', ['vitest', 'run', `connectors/${id}`], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    // eslint-disable-next-line no-control-regex -- the runner colours its summary
    expect(output.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
  }, 120_000);

  it('installs from a folder and from a tarball into the data folder; the running hub lists it and an organization uses it without a restart', async () => {
    const installed = join(dataDir, 'connectors');
    const platform = await createConnectorPlatform({ search: { installedDir: installed }, limits: { maxOldGenerationSizeMb: 128 }, loadTimeoutMs: 15_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
    const running = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
    const org = await running.createOrganization('Installer');
    const catalog = platform.catalog;
    expect(catalog.list()).toEqual([]);
    expect(hub('connector', 'install', connectorDir)).toContain(`installed ${id}@0.1.0`);
    // A second version, packed as npm packs it (files under package/).
    const packDir = mkdtempSync(join(tmpdir(), 'uah-pack-'));
    execFileSync('cp', ['-r', connectorDir, join(packDir, 'package')]);
    execFileSync('sed', ['-i', 's/"version": "0.1.0"/"version": "0.2.0"/', join(packDir, 'package', 'connector.json')]);
    execFileSync('tar', ['-czf', join(packDir, 'c.tgz'), '-C', packDir, 'package']);
    expect(hub('connector', 'install', join(packDir, 'c.tgz'))).toContain(`installed ${id}@0.2.0`);
    rmSync(packDir, { recursive: true, force: true });
    await catalog.refresh();
    expect(catalog.versions(id).map((e) => [e.version, e.available, e.origin])).toEqual([['0.2.0', true, 'installed'], ['0.1.0', true, 'installed']]);
    expect(() => hub('connector', 'install', connectorDir)).toThrow();
    try {
      const listed = await running.request('GET', '/v1/connectors', { token: org.apiKey });
      expect(listed.body.data.map((c: { id: string; latestVersion: string }) => [c.id, c.latestVersion])).toEqual([[id, '0.2.0']]);
      const path = `/v1/organizations/${org.id}/integrations/${id}`;
      expect((await running.request('PUT', path, { token: org.apiKey, body: { credentials: { apiKey: 'key-0123456789' } } })).body).toMatchObject({ version: '0.2.0', isActive: true });
      expect((await running.request('POST', `${path}/actions/hello`, { token: org.apiKey, body: {} })).body.result).toEqual({ hello: org.id });
    } finally {
      await platform.stop();
      await running.close();
    }
  }, 120_000);
});
