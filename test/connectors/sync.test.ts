import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startCrmEmulator, type CrmEmulator } from '../../connectors/sample/test/emulator.js';

const KEY = 'sk_sample_0123456789';
let hub: TestHub;
let platform: ConnectorPlatform;
let crm: CrmEmulator;
let org: { id: string; apiKey: string };
const base = (tail = ''): string => `/v1/organizations/${org.id}/integrations/sample${tail}`;

async function syncNow(body: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await hub.request('POST', base('/sync'), { token: org.apiKey, body });
  expect(res.status).toBe(202);
  return res.body.data[0];
}

/** Queues a job, runs it, and answers it as the API shows it. */
async function runJob(body: Record<string, unknown> = {}): Promise<{ id: string; status: string; full: boolean; counts: Record<string, number>; log: Array<{ message: string }> }> {
  const job = await syncNow(body);
  await platform.sync.runQueued();
  return (await hub.request('GET', base(`/sync-jobs/${job.id}`), { token: org.apiKey })).body;
}

beforeAll(async () => {
  crm = await startCrmEmulator(KEY);
  for (const name of ['Ada', 'Brook', 'Cole']) crm.customers.push({ id: `crm_${name}`, name, email: null, updated_at: '2026-01-01T00:00:00.000Z' });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 128 }, loadTimeoutMs: 15_000 }, { logger: pino({ level: 'silent' }), secrets: createSecretBox(randomBytes(32)) });
  hub = await createTestHub({ extraRoutes: (services, knex) => platform.routes(services, knex) });
  org = await hub.createOrganization('Syncing');
  const put = await hub.request('PUT', base(), { token: org.apiKey, body: { credentials: { apiKey: KEY }, config: { baseUrl: crm.url } } });
  expect(put.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await platform.stop();
  await crm.close();
  await hub.close();
});

describe('the sync engine with the sample connector', () => {
  it('queues a job (202), runs it, records counts and log, updates the status and emits system.sync_completed', async () => {
    const queued = await syncNow();
    expect(queued).toMatchObject({ status: 'QUEUED', dataType: 'customer', direction: 'pull', trigger: 'manual' });
    expect(await platform.sync.runQueued()).toBe(1);
    const job = (await hub.request('GET', base(`/sync-jobs/${queued.id}`), { token: org.apiKey })).body;
    expect(job).toMatchObject({ status: 'SUCCESS', counts: { created: 3, updated: 0, skipped: 0, failed: 0 } });
    expect(job.log.map((l: { message: string }) => l.message)).toContain('customers pulled');
    const status = (await hub.request('GET', base('/status'), { token: org.apiKey })).body;
    expect(status).toMatchObject({ lastSyncStatus: 'SUCCESS', lastSyncAt: job.startedAt });
    const events = await hub.core.services.events.list(org.id, { types: 'system.sync_completed', limit: 10 });
    expect(events.data).toHaveLength(1);
    expect(events.data[0]?.metadata).toMatchObject({ source: 'SYSTEM', causationId: queued.id });
  });

  it('changes nothing when the same sync runs again, incrementally or in full', async () => {
    // Incremental: the records are older than the last run less the lookback window, so none is read.
    const incremental = await syncNow();
    await platform.sync.runQueued();
    expect((await hub.request('GET', base(`/sync-jobs/${incremental.id}`), { token: org.apiKey })).body.counts).toEqual({ created: 0, updated: 0, skipped: 0, failed: 0, deleted: 0 });
    const again = await syncNow({ full: true });
    await platform.sync.runQueued();
    const job = (await hub.request('GET', base(`/sync-jobs/${again.id}`), { token: org.apiKey })).body;
    expect(job.counts).toEqual({ created: 0, updated: 0, skipped: 3, failed: 0, deleted: 0 });
    expect((await hub.core.services.customers.list(org.id, { limit: 100 })).data).toHaveLength(3);
  });

  it('runs one job of a data type at a time: the second starts once the first has finished', async () => {
    const first = await syncNow();
    const second = await syncNow();
    expect(await platform.sync.runQueued()).toBe(2);
    const job = async (id: string): Promise<{ status: string; startedAt: string; finishedAt: string }> => (await hub.request('GET', base(`/sync-jobs/${id}`), { token: org.apiKey })).body;
    const [a, b] = [await job(first.id), await job(second.id)];
    expect([a.status, b.status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(Date.parse(b.startedAt)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt));
  });

  it('logs conflicts decided by the configured rule', async () => {
    const bad = await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { schedule: { invoice: 5 } } });
    expect(bad.status).toBe(400);
    const config = await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { conflictResolution: 'NEWEST_WINS', schedule: { customer: 0 } } });
    expect(config.status).toBe(200);
    crm.customers[0]!.name = 'Ada (renamed at the CRM)';
    crm.customers[0]!.updated_at = '2999-01-01T00:00:00.000Z';
    const job = await syncNow();
    await platform.sync.runQueued();
    const done = (await hub.request('GET', base(`/sync-jobs/${job.id}`), { token: org.apiKey })).body;
    expect(done.counts.updated).toBe(1);
    expect(done.log.map((l: { message: string }) => l.message)).toContain("conflict on crm_Ada: NEWEST_WINS kept the provider's version");
  });

  it('finds customers deleted at the CRM on a full pass only: link marked, counted, logged, customer deactivated by the sync', async () => {
    const brook = crm.customers.findIndex((c) => c.id === 'crm_Brook');
    crm.customers.splice(brook, 1);
    const incremental = await runJob();
    expect(incremental.counts.deleted).toBe(0);
    const full = await runJob({ full: true });
    expect(full).toMatchObject({ status: 'SUCCESS', full: true, counts: { deleted: 1 } });
    const link = await hub.db.knex('connector_mappings').where({ organization_id: org.id, external_id: 'crm_Brook' }).first();
    expect(link.remoteDeletedAt).not.toBeNull();
    expect(full.log.map((l: { message: string }) => l.message)).toContain(`customer crm_Brook (${link.internalId}) is deleted at the provider: customer deactivated`);
    expect((await hub.core.services.customers.get(org.id, link.internalId)).status).toBe('INACTIVE');
    const events = await hub.core.services.events.list(org.id, { types: 'customer.deactivated', limit: 10 });
    expect(events.data.map((e) => e.metadata)).toEqual([expect.objectContaining({ source: 'IMPORT', causationId: full.id, userId: 'connector:sample' })]);
    // Nothing is deleted twice, and the other customers are untouched.
    expect((await runJob({ full: true })).counts.deleted).toBe(0);
    expect((await hub.core.services.customers.list(org.id, { limit: 100, status: 'ACTIVE' })).data).toHaveLength(2);
  });

  it('only flags under the FLAG rule, and marks nothing when a full pass sees none of the linked records', async () => {
    expect((await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { conflictResolution: 'NEWEST_WINS', schedule: { customer: 0 }, deletions: { action: 'FLAG' } } })).status).toBe(200);
    const [cole] = crm.customers.splice(crm.customers.findIndex((c) => c.id === 'crm_Cole'), 1);
    const flagged = await runJob({ full: true });
    expect(flagged.counts.deleted).toBe(1);
    expect(flagged.log.map((l: { message: string }) => l.message).find((m: string) => m.includes('crm_Cole'))).toMatch(/is deleted at the provider: flagged$/);
    const coleId = (await hub.db.knex('connector_mappings').where({ organization_id: org.id, external_id: 'crm_Cole' }).first()).internalId;
    expect((await hub.core.services.customers.get(org.id, coleId)).status).toBe('ACTIVE');
    // The CRM answers with nothing at all: an outage, not the deletion of every customer.
    const kept = crm.customers.splice(0);
    const empty = await runJob({ full: true });
    expect(empty.counts.deleted).toBe(0);
    expect(empty.log.map((l: { message: string }) => l.message)).toContain('the full pass saw none of the 1 linked customer records: none is marked deleted (an empty answer looks like a provider problem)');
    crm.customers.push(...kept, cole!);
    // Cole is back at the CRM: seen again, no longer marked deleted.
    await runJob({ full: true });
    expect((await hub.db.knex('connector_mappings').where({ organization_id: org.id, external_id: 'crm_Cole' }).first()).remoteDeletedAt).toBeNull();
  });

  it('makes every N-th scheduled run a full pass', async () => {
    expect((await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { schedule: { customer: 60 }, fullSyncEvery: { customer: 2 } } })).status).toBe(200);
    const fulls: boolean[] = [];
    for (let hours = 2; hours <= 8; hours += 2) {
      expect(await platform.sync.scheduleDue(new Date(Date.now() + hours * 3_600_000))).toBe(1);
      fulls.push((await hub.request('GET', base('/sync-jobs'), { token: org.apiKey })).body.data[0].full);
      await platform.sync.runQueued();
    }
    expect(fulls).toEqual([false, true, false, true]);
    expect((await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { schedule: { customer: 0 }, fullSyncEvery: { invoice: 2 } } })).status).toBe(400);
    expect((await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { schedule: { customer: 0 } } })).status).toBe(200);
  });

  it('schedules by frequency (0 pauses), and refuses to sync a disabled integration', async () => {
    expect(await platform.sync.scheduleDue(new Date(Date.now() + 365 * 86_400_000))).toBe(0);
    await hub.request('PUT', base('/sync-config'), { token: org.apiKey, body: { schedule: { customer: 60 } } });
    expect(await platform.sync.scheduleDue(new Date())).toBe(0);
    expect(await platform.sync.scheduleDue(new Date(Date.now() + 61 * 60_000))).toBe(1);
    expect((await hub.request('GET', base('/sync-jobs'), { token: org.apiKey })).body.data[0]).toMatchObject({ status: 'QUEUED', trigger: 'schedule' });
    await hub.request('DELETE', base(), { token: org.apiKey });
    const refused = await hub.request('POST', base('/sync'), { token: org.apiKey, body: {} });
    expect(refused.status).toBe(409);
  });
});

describe('sync now', () => {
  it('starts a job asked for by hand once its request commits, without waiting for the scheduler\'s next tick', async () => {
    const put = await hub.request('PUT', base(), { token: org.apiKey, body: { credentials: { apiKey: KEY }, config: { baseUrl: crm.url } } });
    expect(put.status).toBe(200);
    platform.startSyncScheduler(); // ticks every 30 s: far longer than this test waits
    // With an Idempotency-Key the job is queued inside the request's transaction: it starts after the commit.
    const res = await hub.request('POST', base('/sync'), { token: org.apiKey, body: { full: true }, headers: { 'idempotency-key': 'sync-now-1' } });
    expect(res.status).toBe(202);
    const id: string = res.body.data[0].id;
    let job: { status: string } = res.body.data[0];
    for (let i = 0; i < 100 && (job.status === 'QUEUED' || job.status === 'RUNNING'); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await hub.request('GET', base(`/sync-jobs/${id}`), { token: org.apiKey })).body;
    }
    expect(job.status).toBe('SUCCESS');
  });
});
