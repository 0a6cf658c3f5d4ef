import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';

const SECRET = 'sk_live_0123456789abcdefWXYZ';
let hub: TestHub;
let platform: ConnectorPlatform;
let folder: ConnectorFolder;
let provider: Server;
let providerUrl: string;
let orgA: { id: string; apiKey: string };
let orgB: { id: string; apiKey: string };

const CHECKED = connectorSource({
  // The sync never ends: stopped by its timeout.
  sync: 'return await new Promise(() => {});',
  action: `
    if (input.mode === 'spin') for (;;) {}
    return await ctx.http({ baseUrl: ctx.config.baseUrl, headers: { authorization: 'Bearer ' + ctx.credentials.apiKey } }).get('/me');`,
  extra: `check: async (ctx) => { await ctx.http({ baseUrl: ctx.config.baseUrl, headers: { authorization: 'Bearer ' + ctx.credentials.apiKey }, retries: 0 }).get('/me'); },`,
});

beforeAll(async () => {
  provider = createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${SECRET}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { account: 'acct_1' } : { error: 'invalid api key' }));
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  folder = connectorFolder();
  const manifest = (version: string): Record<string, unknown> => testManifest('checked', { version, allowedHosts: ['127.0.0.1'], configSchema: { type: 'object', properties: { baseUrl: { type: 'string', format: 'uri' } }, required: ['baseUrl'] } });
  folder.add('checked-1', { manifest: manifest('1.0.0'), source: CHECKED });
  folder.add('checked-2', { manifest: manifest('2.0.0'), source: CHECKED });
  folder.add('old-sdk', { manifest: testManifest('old-sdk', { sdk: '^9.0.0' }) });
  folder.add('throws-at-import', { source: `throw new Error('boom at import');` });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, timeouts: { action: 2_000, sync: 2_000 }, loadTimeoutMs: 20_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
  hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
  orgA = await hub.createOrganization('A');
  orgB = await hub.createOrganization('B');
}, 60_000);
afterAll(async () => {
  await platform.stop();
  folder.remove();
  provider.close();
  await hub.close();
});

describe('the catalog API', () => {
  it('lists every connector with its permissions, hosts and versions, and why unusable ones are', async () => {
    const res = await hub.request('GET', '/v1/connectors', { token: orgA.apiKey });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.data.map((c: { id: string }) => [c.id, c]));
    expect(byId['checked']).toMatchObject({ available: true, latestVersion: '2.0.0', permissions: ['customers:write'], allowedHosts: ['127.0.0.1'] });
    expect(byId['checked'].versions.map((v: { version: string }) => v.version)).toEqual(['2.0.0', '1.0.0']);
    expect(byId['old-sdk']).toMatchObject({ available: false, latestVersion: null, versions: [{ problem: { code: 'SDK_RANGE' } }] });
    expect(byId['throws-at-import'].versions[0].problem).toMatchObject({ code: 'IMPORT_FAILED', message: expect.stringContaining('boom at import') });
    expect((await hub.request('GET', '/v1/connectors/nope', { token: orgA.apiKey })).status).toBe(404);
  });

  it('describes a connector by an installed version when asked, for an integration pinned to it', async () => {
    const newest = await hub.request('GET', '/v1/connectors/checked', { token: orgA.apiKey });
    expect(newest.body.manifest.version).toBe('2.0.0');
    const pinned = await hub.request('GET', '/v1/connectors/checked?version=1.0.0', { token: orgA.apiKey });
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ latestVersion: '2.0.0', manifest: { version: '1.0.0' }, permissions: ['customers:write'] });
    expect((await hub.request('GET', '/v1/connectors/checked?version=9.9.9', { token: orgA.apiKey })).status).toBe(404);
    const malformed = await hub.request('GET', '/v1/connectors/checked?version=latest', { token: orgA.apiKey });
    expect([malformed.status, malformed.body.errors?.[0]?.field]).toEqual([400, '/version']);
  });
});

describe('integrations', () => {
  const path = (org: { id: string }, tail = ''): string => `/v1/organizations/${org.id}/integrations/checked${tail}`;

  it('refuses credentials and config that do not match the manifest, naming fields but never values', async () => {
    const res = await hub.request('PUT', path(orgA), { token: orgA.apiKey, body: { credentials: { apiKey: 'short' }, config: {} } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['/config/baseUrl', '/credentials/apiKey']);
    expect(JSON.stringify(res.body)).not.toContain('short');
  });

  it("answers the provider's refusal in check as a provider problem, and enables nothing", async () => {
    const res = await hub.request('PUT', path(orgA), { token: orgA.apiKey, body: { credentials: { apiKey: 'sk_live_wrong_key_0000' }, config: { baseUrl: providerUrl } } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'PROVIDER_ERROR', source: 'provider', providerStatus: 401, retryable: false });
    expect((await hub.request('GET', path(orgA), { token: orgA.apiKey })).status).toBe(404);
  });

  it('enables with credentials sealed, masked in every answer, pinned to the version asked for', async () => {
    const res = await hub.request('PUT', path(orgA), { token: orgA.apiKey, body: { credentials: { apiKey: SECRET }, config: { baseUrl: providerUrl }, version: '1.0.0' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connectorId: 'checked', version: '1.0.0', availableVersion: '2.0.0', isActive: true, credentialsHint: { apiKey: '••••WXYZ' } });
    const answers = [JSON.stringify(res.body)];
    answers.push(JSON.stringify((await hub.request('GET', path(orgA), { token: orgA.apiKey })).body));
    answers.push(JSON.stringify((await hub.request('GET', `/v1/organizations/${orgA.id}/integrations`, { token: orgA.apiKey })).body));
    answers.push(JSON.stringify((await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey })).body));
    for (const answer of answers) expect(answer).not.toContain(SECRET);
    const rows = await hub.db.knex.raw('SELECT row_to_json(i)::text AS j FROM integrations i');
    expect(rows.rows.length).toBe(1);
    expect(rows.rows[0].j).not.toContain(SECRET);
    expect(rows.rows[0].j).not.toContain('0123456789abcdef');
  });

  it('keeps organizations apart', async () => {
    expect((await hub.request('GET', path(orgB), { token: orgB.apiKey })).status).toBe(404);
    expect((await hub.request('GET', path(orgA), { token: orgB.apiKey })).status).toBe(404);
    expect((await hub.request('POST', path(orgB, '/actions/echo'), { token: orgB.apiKey, body: {} })).status).toBe(404);
    expect((await hub.request('GET', `/v1/organizations/${orgB.id}/integrations`, { token: orgB.apiKey })).body.data).toEqual([]);
  });

  it('runs an action with the stored credentials, and reports a stuck one on the status while answering', async () => {
    const ok = await hub.request('POST', path(orgA, '/actions/echo'), { token: orgA.apiKey, body: {} });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ object: 'action_result', action: 'echo', result: { account: 'acct_1' } });
    expect((await hub.request('POST', path(orgA, '/actions/nope'), { token: orgA.apiKey, body: {} })).status).toBe(404);

    const stuck = hub.request('POST', path(orgA, '/actions/echo'), { token: orgA.apiKey, body: { mode: 'spin' } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await hub.request('GET', path(orgA), { token: orgA.apiKey })).status).toBe(200);
    const failed = await stuck;
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ code: 'CONNECTOR_FAILED', source: 'connector', retryable: true });
    const status = await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey });
    expect(status.body).toMatchObject({ provider: 'checked', organizationId: orgA.id, isActive: true, errorCount: 1, dataTypes: ['customer'], syncFrequency: 'HOURLY' });
    expect((await hub.request('GET', path(orgA), { token: orgA.apiKey })).body.lastError).toMatch(/TIMEOUT/);
  }, 20_000);

  it('stops a hanging sync at its timeout, fails its job and counts it, while the hub answers', async () => {
    const queued = await hub.request('POST', path(orgA, '/sync'), { token: orgA.apiKey, body: {} });
    expect(queued.status).toBe(202);
    const running = platform.sync.runQueued();
    await new Promise((r) => setTimeout(r, 300));
    expect((await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey })).status).toBe(200);
    expect((await hub.request('GET', '/health', { token: null })).status).toBe(200);
    expect(await running).toBe(1);
    const job = (await hub.request('GET', path(orgA, `/sync-jobs/${queued.body.data[0].id}`), { token: orgA.apiKey })).body;
    expect(job).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/sync handler ran longer than 2000 ms/) });
    expect((await hub.request('GET', path(orgA, '/status'), { token: orgA.apiKey })).body).toMatchObject({ errorCount: 2, lastSyncStatus: 'FAILED' });
    expect((await hub.request('GET', path(orgA), { token: orgA.apiKey })).body.lastError).toMatch(/^sync: TIMEOUT/);
  }, 20_000);

  it('disables without losing history, refuses actions while disabled, and enables again with the stored credentials', async () => {
    const off = await hub.request('DELETE', path(orgA), { token: orgA.apiKey });
    expect(off.body).toMatchObject({ isActive: false, errorCount: 2 });
    const refused = await hub.request('POST', path(orgA, '/actions/echo'), { token: orgA.apiKey, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INTEGRATION_INACTIVE');
    const on = await hub.request('PUT', path(orgA), { token: orgA.apiKey, body: {} });
    expect(on.body).toMatchObject({ isActive: true, version: '1.0.0', credentialsHint: { apiKey: '••••WXYZ' } });
  });
});
