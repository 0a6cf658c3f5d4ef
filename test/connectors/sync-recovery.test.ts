import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createCore, createDatabase, createMemoryBus, createSecretBox, newId, type Core, type Database } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { waitFor } from '../../core/src/events/testing.js';
import { createConnectorPlatform, type ConnectorPlatform, type PlatformOptions } from '../../hub/src/connectors/platform.js';
import { connectorFolder, testManifest, type ConnectorFolder } from './fixtures.js';
import { PAGER_SOURCE, startProviderStub, type ProviderStub } from './provider-stub.js';

/**
 * Two hub processes on one database: B serves the API; A is a second platform on its own connection
 * pool and core, which a test can kill abruptly (its pool destroyed, its workers ended, nothing written).
 */
const LEASE_MS = 2_500;
const silent = pino({ level: 'silent' });
const secrets = createSecretBox(randomBytes(32));
let hub: TestHub;
let folder: ConnectorFolder;
let stub: ProviderStub;
let platformB: ConnectorPlatform;
let platformA: ConnectorPlatform;
let dbA: Database;
let coreA: Core;
let mailDir: string;
let org: { id: string; apiKey: string };

const base = (tail = ''): string => `/v1/organizations/${org.id}/integrations/pager${tail}`;
const job = async (id: string): Promise<{ status: string; attempts: number; counts: Record<string, number>; log: Array<{ message: string }>; error: string | null }> => (await hub.request('GET', base(`/sync-jobs/${id}`), { token: org.apiKey })).body;
const queue = async (body: Record<string, unknown> = { dataTypes: ['customer'] }): Promise<string> => (await hub.request('POST', base('/sync'), { token: org.apiKey, body })).body.data[0].id;
const customersNamed = async (names: string[]): Promise<number> => (await hub.db.knex('customers').where('organization_id', org.id).whereIn('business_name', names)).length;
const pagesOf = (jobId: string): number[] => stub.pages.filter((p) => p.endsWith(` ${jobId}`)).map((p) => Number(p.split(' ')[0]));
const records = (prefix: string, n: number): Array<{ id: string; name: string }> => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}`, name: `${prefix}${i + 1}` }));

beforeAll(async () => {
  stub = await startProviderStub();
  folder = connectorFolder();
  const manifest = testManifest('pager', {
    allowedHosts: ['127.0.0.1'], permissions: ['customers:write', 'invoices:write'],
    configSchema: { type: 'object', properties: { baseUrl: { type: 'string' } }, required: ['baseUrl'] },
    dataTypes: [{ type: 'customer', direction: 'pull', defaultFrequencyMinutes: 60 }, { type: 'invoice', direction: 'pull', defaultFrequencyMinutes: 60 }],
  });
  folder.add('pager', { manifest, source: PAGER_SOURCE });
  const options: PlatformOptions = { allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000, syncLeaseMs: LEASE_MS };
  platformB = await createConnectorPlatform(options, { logger: silent, secrets });
  hub = await createTestHub({ extraRoutes: (services, knex) => platformB.routes(services, knex) });
  platformA = await createConnectorPlatform(options, { logger: silent, secrets });
  dbA = await createDatabase({ url: hub.db.url, poolMax: 4 });
  mailDir = mkdtempSync(join(tmpdir(), 'uah-mail-'));
  coreA = createCore({ knex: dbA.knex, bus: createMemoryBus({ logger: silent }), logger: silent, adminToken: { verify: async () => false }, mail: { outboxDir: mailDir } });
  platformA.routes(coreA.services, dbA.knex);
  org = await hub.createOrganization('Recovering');
  expect((await hub.request('PUT', base(), { token: org.apiKey, body: { credentials: { apiKey: 'key-0123456789' }, config: { baseUrl: stub.url } } })).status).toBe(200);
}, 90_000);
afterAll(async () => {
  await platformA.stop();
  await platformB.stop();
  await coreA.close().catch(() => undefined);
  await dbA.close().catch(() => undefined);
  await stub.close();
  folder.remove();
  rmSync(mailDir, { recursive: true, force: true });
  await hub.close();
});

describe('sync jobs across processes', () => {
  it('never runs two jobs of one data type at once, whichever processes try', async () => {
    stub.records = records('a', 4);
    stub.delayMs = 150;
    stub.reset();
    const first = await queue();
    const second = await queue();
    const claimed = await Promise.all([platformA.sync.runQueued(), platformB.sync.runQueued(), platformA.sync.runQueued(), platformB.sync.runQueued()]);
    expect(claimed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    while ((await job(second)).status === 'QUEUED' || (await job(first)).status === 'QUEUED') await Promise.all([platformA.sync.runQueued(), platformB.sync.runQueued()]);
    expect([(await job(first)).status, (await job(second)).status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(stub.maxActive).toBe(1);
    expect(await customersNamed(stub.records.map((r) => r.name))).toBe(4);
    stub.delayMs = 0;
  }, 30_000);

  it('resumes a job left RUNNING with an expired lease (its process gone) from its checkpoint', async () => {
    stub.records = records('b', 6);
    stub.reset();
    const id = newId('syn');
    // The dead process had read the first page (b1, b2) and saved the cursor of the next one.
    for (const r of stub.records.slice(0, 2)) {
      const made = await hub.core.services.customers.create(org.id, { businessName: r.name }, { source: 'IMPORT' });
      await hub.db.knex('connector_mappings').insert({ organization_id: org.id, connector_id: 'pager', entity_type: 'customer', internal_id: made.id, external_id: r.id });
    }
    await hub.db.knex('connector_state').insert({ organization_id: org.id, connector_id: 'pager', key: 'cp', value: '2' });
    await hub.db.knex('sync_jobs').insert({
      id, organization_id: org.id, connector_id: 'pager', data_type: 'customer', direction: 'pull', trigger: 'manual', status: 'RUNNING',
      lease_owner: 'gone-host:1:dead', lease_expires_at: new Date(Date.now() - 1_000), attempts: 1, started_at: new Date(Date.now() - 5_000),
    });
    expect(await platformB.sync.runQueued()).toBe(1);
    const done = await job(id);
    expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2, counts: { created: 4, skipped: 0 } });
    expect(done.log[0]?.message).toMatch(/^resumed \(start 2\)/);
    expect(pagesOf(id)).toEqual([2, 4]);
    expect(await customersNamed(stub.records.map((r) => r.name))).toBe(6);
  }, 30_000);

  it('keeps a live process its job past the lease time; a process that lost its lease changes nothing and ends nothing', async () => {
    stub.records = records('c', 4);
    stub.reset();
    const id = await queue();
    const held = stub.holdAt(2);
    const running = platformA.sync.runQueued();
    await held;
    // A renews its lease: B does not take the job however long it runs.
    await new Promise((r) => setTimeout(r, LEASE_MS * 1.5));
    expect(await platformB.sync.runQueued()).toBe(0);
    // The lease passes to someone else (A stalled past it, say): A must stop at its next call.
    await hub.db.knex('sync_jobs').where('id', id).update({ lease_owner: 'another:2:live', lease_expires_at: new Date(Date.now() + 60_000) });
    await new Promise((r) => setTimeout(r, LEASE_MS / 2));
    stub.release();
    expect(await running).toBe(1);
    expect(await hub.db.knex('sync_jobs').where('id', id).first()).toMatchObject({ status: 'RUNNING', leaseOwner: 'another:2:live', finishedAt: null });
    expect(await customersNamed(['c3', 'c4'])).toBe(0);
    // Once that lease expires too, B resumes from the checkpoint A saved.
    await hub.db.knex('sync_jobs').where('id', id).update({ lease_expires_at: new Date(Date.now() - 1) });
    expect(await platformB.sync.runQueued()).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'SUCCESS', attempts: 2, counts: { created: 2 } });
    expect(pagesOf(id)).toEqual([0, 2, 2]);
    expect(await customersNamed(['c1', 'c2', 'c3', 'c4'])).toBe(4);
  }, 30_000);

  it('takes over the job of a process that died mid-run once its lease expires, and finishes it from the checkpoint', async () => {
    stub.records = records('d', 6);
    stub.reset();
    const id = await queue();
    const held = stub.holdAt(4);
    const running = platformA.sync.runQueued();
    await held;
    // A dies: its database connections and its workers are gone, nothing more is written.
    await dbA.close();
    await platformA.runtime.stop();
    await running.catch(() => undefined);
    stub.release();
    expect(await hub.db.knex('sync_jobs').where('id', id).first()).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(await platformB.sync.runQueued()).toBe(0);
    await waitFor(async () => (await platformB.sync.runQueued()) === 1, 15_000);
    const done = await job(id);
    expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2, counts: { created: 2 } });
    expect(pagesOf(id)).toEqual([0, 2, 4, 4]);
    expect(await customersNamed(stub.records.map((r) => r.name))).toBe(6);
  }, 40_000);
});

describe('full passes over posted records', () => {
  it('voids a draft invoice gone at the provider, flags an issued one, and voids issued ones only when the config says so', async () => {
    stub.invoices = [{ id: 'd1', issue: false }, { id: 'i1', issue: true }, { id: 'i2', issue: true }, { id: 'keep', issue: true }];
    const pass = async (): Promise<Awaited<ReturnType<typeof job>>> => {
      const id = await queue({ dataTypes: ['invoice'], full: true });
      await platformB.sync.runQueued();
      return job(id);
    };
    expect((await pass()).counts).toMatchObject({ created: 4, deleted: 0 });
    const idOf = async (ext: string): Promise<string> => (await hub.db.knex('connector_mappings').where({ organization_id: org.id, entity_type: 'invoice', external_id: ext }).first()).internalId;
    const statusOf = async (ext: string): Promise<string> => (await hub.core.services.invoices.get(org.id, await idOf(ext))).status;
    stub.invoices = stub.invoices.filter((i) => i.id === 'i2' || i.id === 'keep');
    const first = await pass();
    expect(first.counts.deleted).toBe(2);
    expect(await statusOf('d1')).toBe('CANCELLED');
    expect(await statusOf('i1')).not.toBe('CANCELLED');
    expect(first.log.map((l) => l.message)).toContain(`invoice i1 (${await idOf('i1')}) is deleted at the provider: flagged (an issued invoice is voided only when the sync config sets deletions.voidIssuedInvoices)`);
    expect((await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { deletions: { voidIssuedInvoices: true } } })).status).toBe(200);
    stub.invoices = stub.invoices.filter((i) => i.id === 'keep');
    expect((await pass()).counts.deleted).toBe(1);
    expect(await statusOf('i2')).toBe('CANCELLED');
    expect(await statusOf('keep')).not.toBe('CANCELLED');
    const reversal = await hub.core.services.ledger.listEntries(org.id, { limit: 100 });
    expect(reversal.data.some((e) => (e as { reversalOf?: string | null }).reversalOf)).toBe(true);
  }, 30_000);
});
