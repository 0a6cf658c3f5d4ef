import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createAmqpBus, createRelay, createSecretBox, type Bus, type Relay } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL, testQueueName, waitFor } from '../../core/src/events/testing.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { startAsanaEmulator, type AsanaEmulator } from '../../connectors/asana/test/emulator.js';

/**
 * A project with milestones, round trip between the books and Asana through the hub: the domain events
 * over RabbitMQ to the connector's worker, the emulated Asana API, and a sync back into the books.
 */
const PAT = '2/1200000000000001/e2e:0123456789abcdef';
const WORKSPACE = '1331';
const TEAM = '14916';
const silent = pino({ level: 'silent' });
const prefix = testQueueName('connector');
let hub: TestHub;
let bus: Bus;
let relay: Relay;
let platform: ConnectorPlatform;
let asana: AsanaEmulator;
let org: { id: string; apiKey: string };
const api = (method: string, tail: string, body?: unknown) => hub.request(method, `/v1/organizations/${org.id}${tail}`, { token: org.apiKey, ...(body === undefined ? {} : { body }) });
const tasks = () => [...asana.tasks.values()] as Array<{ gid: string; name: string; completed: boolean; projects: Array<{ gid: string }> }>;

beforeAll(async () => {
  asana = await startAsanaEmulator({ token: PAT, workspace: WORKSPACE, team: TEAM });
  platform = await createConnectorPlatform({ allowPrivate: true, search: { builtinDir: resolve('connectors') }, limits: { maxOldGenerationSizeMb: 192 }, loadTimeoutMs: 30_000 }, { logger: silent, secrets: createSecretBox(randomBytes(32)) });
  bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  hub = await createTestHub({ bus, extraRoutes: (services, knex) => platform.routes(services, knex) });
  relay = createRelay({ knex: hub.db.knex, bus, logger: silent, embedded: false });
  relay.start();
  await platform.startEventRouting(bus, { queuePrefix: prefix, retryDelaysMs: [300], maxAttempts: 3 });
  org = await hub.createOrganization(`Asana e2e ${randomBytes(3).toString('hex')}`);
  const put = await api('PUT', '/integrations/asana', { credentials: { personalAccessToken: PAT }, config: { workspace: WORKSPACE, team: TEAM, baseUrl: asana.url } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await relay?.stop();
  await bus?.close();
  await asana?.close();
  await hub?.close();
});

describe('Asana round trip', () => {
  it('a project with milestones goes to Asana, completions come back both ways, and the finished project is archived', async () => {
    const customer = await api('POST', '/customers', { businessName: 'Globex Corporation' });
    const project = await api('POST', '/projects', { customerId: customer.body.id, name: 'Warehouse move', description: 'Move and re-shelve', endDate: '2027-06-30' });
    expect(project.status).toBe(201);
    const ids: string[] = [];
    for (const [name, amount] of [['Plan', 100_000], ['Move', 300_000], ['Re-shelve', 200_000]] as const) {
      const milestone = await api('POST', `/projects/${project.body.id}/milestones`, { name, amount, dueDate: '2027-05-01' });
      expect(milestone.status).toBe(201);
      ids.push(milestone.body.id);
    }
    // project.created and each milestone.created, handled once each: one Asana project, a task per milestone.
    await waitFor(() => tasks().length === 3, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(asana.projects.size).toBe(1);
    const [asanaProject] = [...asana.projects.values()] as Array<{ gid: string; name: string; notes: string; due_on: string; archived: boolean }>;
    expect(asanaProject).toMatchObject({ name: 'Warehouse move', due_on: '2027-06-30', archived: false });
    expect(asanaProject!.notes).toContain('Globex Corporation');
    expect(tasks().map((t) => t.name).sort()).toEqual(['Move', 'Plan', 'Re-shelve']);
    expect(tasks().every((t) => t.projects[0]?.gid === asanaProject!.gid)).toBe(true);

    // Books → Asana: a milestone completed here completes its task.
    expect((await api('POST', `/projects/${project.body.id}/start`)).status).toBe(200);
    const done = await api('POST', `/milestones/${ids[0]}/complete`, { invoice: {} });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    await waitFor(() => tasks().find((t) => t.name === 'Plan')?.completed === true, 60_000);

    // Asana → books: a task completed in Asana completes its milestone here (and recognises its revenue).
    asana.complete(tasks().find((t) => t.name === 'Move')!.gid, new Date().toISOString());
    const sync = await api('POST', '/integrations/asana/sync', { dataTypes: ['milestone'] });
    expect(sync.status).toBe(202);
    while ((await platform.sync.runQueued()) > 0);
    const job = await api('GET', `/integrations/asana/sync-jobs/${sync.body.data[0].id}`);
    expect(job.body).toMatchObject({ status: 'SUCCESS', counts: { updated: 1, failed: 0 } });
    expect((await api('GET', `/milestones/${ids[1]}`)).body).toMatchObject({ status: 'COMPLETED' });
    expect((await api('GET', `/milestones/${ids[2]}`)).body).toMatchObject({ status: 'PENDING' });
    const recognized = await hub.core.services.events.list(org.id, { types: 'milestone.completed', limit: 10 });
    const fromAsana = recognized.data.find((e) => e.aggregateId === ids[1]);
    expect(fromAsana?.metadata).toMatchObject({ source: 'IMPORT', userId: 'connector:asana' });
    // The completion made here is not sent back as a second update, and a second sync changes nothing.
    const again = await api('POST', '/integrations/asana/sync', { dataTypes: ['milestone'] });
    while ((await platform.sync.runQueued()) > 0);
    expect((await api('GET', `/integrations/asana/sync-jobs/${again.body.data[0].id}`)).body).toMatchObject({ status: 'SUCCESS', counts: { updated: 0, failed: 0 } });

    // The project completed: archived in Asana. Nothing was made twice along the way.
    expect((await api('POST', `/projects/${project.body.id}/complete`)).status).toBe(200);
    await waitFor(() => (asana.projects.get(asanaProject!.gid) as { archived: boolean }).archived, 60_000);
    expect(asana.projects.size).toBe(1);
    expect(asana.tasks.size).toBe(3);
    expect(asana.problems).toEqual([]);
  }, 240_000);
});
