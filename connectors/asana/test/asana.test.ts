import { ProjectsApi, TasksApi } from 'asana';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorEntities, Event, Milestone, Project } from '@uah/connector-sdk';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import connector, { type Config, type Credentials } from '../src/index.js';
import { startAsanaEmulator, type AsanaEmulator } from './emulator.js';
import { requestProblems, responseProblems } from './oas.js';

const PAT = '2/1200000000000001/1200000000000002:0123456789abcdef';
const WORKSPACE = '1331';
const TEAM = '14916';
let asana: AsanaEmulator;
let test: TestContext<Credentials, Config>;
let projects: Project[];
let milestones: Milestone[];
let completed: Array<{ id: string; date: string | undefined }>;

function projectsFake(): ConnectorEntities['projects'] {
  return {
    get: async (id) => projects.find((p) => p.id === id),
    list: async (q) => ({ data: projects.filter((p) => !q?.status || p.status === q.status), nextCursor: null }),
    getMilestone: async (id) => milestones.find((m) => m.id === id),
    listMilestones: async (projectId) => ({ data: milestones.filter((m) => m.projectId === projectId), nextCursor: null }),
    completeMilestone: async (id, input) => {
      const milestone = milestones.find((m) => m.id === id)!;
      if (milestone.status !== 'PENDING') throw new Error('not pending');
      completed.push({ id, date: input?.date });
      return Object.assign(milestone, { status: 'COMPLETED', completedOn: input?.date ?? null });
    },
  };
}
const event = (type: string, object: object, id = `evt_${type}_${(object as { id: string }).id}`): Event => ({ id, type, data: { object } }) as unknown as Event;
const job = (extra: Record<string, unknown> = {}) => ({ dataType: 'milestone', direction: 'pull' as const, trigger: 'manual' as const, full: false, lastSuccessAt: null, ...extra });

beforeEach(async () => {
  asana = await startAsanaEmulator({ token: PAT, workspace: WORKSPACE, team: TEAM });
  test = createTestContext(connector, { credentials: { personalAccessToken: PAT }, config: { workspace: WORKSPACE, team: TEAM, baseUrl: asana.url }, entities: { projects: projectsFake() } });
  const customer = { id: 'cus_acme', displayName: 'Acme Ltd', businessName: 'Acme Ltd' } as (typeof test.customers)[number];
  test.customers.push(customer);
  const now = '2026-12-01T10:00:00.000Z';
  projects = [{ id: 'proj_1', object: 'project', organizationId: 'org_test', customerId: customer.id, name: 'Website rebuild', description: 'New shop front', status: 'CREATED', currency: 'USD', budget: null, startDate: '2026-12-01', endDate: '2027-03-31', metadata: {}, createdAt: now, updatedAt: now } as unknown as Project];
  milestones = ['Design', 'Build'].map((name, i) => ({ id: `ms_${i + 1}`, object: 'milestone', projectId: 'proj_1', name, amount: 250_000, currency: 'USD', dueDate: i === 0 ? '2027-01-15' : null, status: 'PENDING', createdAt: now }) as unknown as Milestone);
  completed = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  return asana.close();
});

describe('the Asana emulator keeps to the OpenAPI description', () => {
  it('validates its answers and refuses what the description refuses', () => {
    expect(responseProblems('/projects', 'post', 201, { data: { gid: '1', resource_type: 'project', name: 'x', archived: 'no' } })).not.toEqual([]);
    expect(requestProblems('/tasks', 'post', { data: { name: 'x', completed_at: '2026-01-01T00:00:00Z' } })).toContain('/data/completed_at is read-only');
    expect(responseProblems('/tasks/{task_gid}', 'get', 404, { errors: [{ message: 'task: Unknown object: 1' }] })).toEqual([]);
  });

  it('answers a bad token with 401 and an errors body', async () => {
    const bad = createTestContext(connector, { credentials: { personalAccessToken: 'wrong-token-000' }, config: { workspace: WORKSPACE, team: TEAM, baseUrl: asana.url } });
    const error = await connector.check!(bad.ctx).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    await expect(connector.check!(test.ctx)).resolves.toBeUndefined();
    expect(asana.problems).toEqual([]);
  });
});

describe('the Asana connector', () => {
  it('keeps the contract', () => {
    expect(contractProblems(connector)).toEqual([]);
  });

  it('makes a project with its customer and due date, and a task per milestone, once however often the event comes', async () => {
    for (let i = 0; i < 2; i += 1) await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    await connector.onEvent!(test.ctx, event('milestone.created', milestones[0]!));
    expect(asana.projects.size).toBe(1);
    const [project] = [...asana.projects.values()];
    expect(project).toMatchObject({ name: 'Website rebuild', due_on: '2027-03-31', team: { gid: TEAM }, workspace: { gid: WORKSPACE } });
    expect(String(project!['notes'])).toContain('Customer: Acme Ltd');
    expect([...asana.tasks.values()].map((t) => [t['name'], t['due_on']])).toEqual([['Design', '2027-01-15'], ['Build', null]]);
    expect(asana.problems).toEqual([]);
    expect(contractProblems(connector, test)).toEqual([]);
  });

  it('makes one Asana project when the events of a project arrive side by side', async () => {
    await Promise.all([
      connector.onEvent!(test.ctx, event('project.created', projects[0]!)),
      ...milestones.map((m) => connector.onEvent!(test.ctx, event('milestone.created', m))),
    ]);
    expect(asana.projects.size).toBe(1);
    expect(asana.tasks.size).toBe(2);
  });

  it('finds what an interrupted attempt made instead of making it twice', async () => {
    asana.failNext(0);
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    // As if the process stopped after Asana made the project but before the link was stored.
    await test.ctx.mappings.unlink('project', 'proj_1');
    await test.ctx.syncState.set('pending.proj_1', true);
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    expect(asana.projects.size).toBe(1);
    expect(await test.ctx.mappings.externalIdOf('project', 'proj_1')).toBe([...asana.projects.keys()][0]);
  });

  it('fails the event on an Asana outage, and the redelivery finishes the work', async () => {
    asana.failNext(1); // the project's creation is answered 500 (a POST is not retried blindly)
    await expect(connector.onEvent!(test.ctx, event('project.created', projects[0]!))).rejects.toMatchObject({ status: 500 });
    asana.failNext(2, 429); // then Asana asks to slow down: the client waits and retries
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    expect(asana.projects.size).toBe(1);
    expect(asana.tasks.size).toBe(2);
  });

  it('completes the task of a completed milestone, and archives a completed or cancelled project', async () => {
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    await connector.onEvent!(test.ctx, event('milestone.completed', { ...milestones[0]!, status: 'COMPLETED' }));
    const gid = (await test.ctx.mappings.externalIdOf('milestone', 'ms_1'))!;
    expect(asana.tasks.get(gid)).toMatchObject({ completed: true });
    await connector.onEvent!(test.ctx, event('project.cancelled', { ...projects[0]!, status: 'CANCELLED' }));
    expect([...asana.projects.values()][0]).toMatchObject({ archived: true });
    expect(asana.problems).toEqual([]);
  });

  it('completes here the milestones whose tasks were completed in Asana, on that day, once', async () => {
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    projects[0]!.status = 'STARTED';
    asana.complete((await test.ctx.mappings.externalIdOf('milestone', 'ms_2'))!, '2027-02-02T15:00:00.000Z');
    expect(await connector.sync!.milestone!(test.ctx, job())).toMatchObject({ updated: 1, skipped: 1, failed: 0 });
    expect(completed).toEqual([{ id: 'ms_2', date: '2027-02-02' }]);
    expect(await connector.sync!.milestone!(test.ctx, job())).toMatchObject({ updated: 0, failed: 0 });
    expect(completed).toHaveLength(1);
    expect(asana.received.some((r) => r.path.startsWith('/tasks?') && r.path.includes('limit=100'))).toBe(true);
    expect(asana.problems).toEqual([]);
  });
});

describe('Asana calls go through the official SDK and the hub\'s HTTP client', () => {
  it('makes projects and tasks with the SDK, every request sent by ctx.http to the configured base URL', async () => {
    const createProject = vi.spyOn(ProjectsApi.prototype, 'createProject');
    const createTask = vi.spyOn(TasksApi.prototype, 'createTask');
    await connector.onEvent!(test.ctx, event('project.created', projects[0]!));
    expect(createProject).toHaveBeenCalledTimes(1);
    expect(createTask).toHaveBeenCalledTimes(2);
    // Each request the emulator received is one the connector SDK's client sent (its recorded fetch).
    expect(asana.received.length).toBeGreaterThan(0);
    expect(test.requests).toHaveLength(asana.received.length);
    expect(test.requests.every((url) => url.startsWith(`${asana.url}/`))).toBe(true);
    expect(asana.received.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /projects', 'POST /tasks', 'POST /tasks']);
  });

  it('is held to the manifest\'s hosts', async () => {
    const elsewhere = createTestContext(connector, { credentials: { personalAccessToken: PAT }, config: { workspace: WORKSPACE, team: TEAM, baseUrl: 'https://asana.example.org/api/1.0' } });
    await expect(connector.check!(elsewhere.ctx)).rejects.toThrow(/asana\.example\.org/);
    expect(asana.received).toEqual([]);
  });

  it('uses the hub\'s OAuth2 token without a personal access token, and refreshes it after a 401', async () => {
    const asked: Array<string | undefined> = [];
    const oauth = createTestContext(connector, {
      credentials: { clientId: 'client', clientSecret: 'secret-000' }, config: { workspace: WORKSPACE, team: TEAM, baseUrl: asana.url },
      tokens: async (request) => {
        asked.push(request?.rejected);
        return { accessToken: asked.length === 1 ? 'expired-token-000' : PAT, tokenType: 'Bearer', expiresAt: null, scopes: ['default'] };
      },
    });
    await expect(connector.check!(oauth.ctx)).resolves.toBeUndefined();
    expect(asked).toEqual([undefined, 'expired-token-000']);
    expect(asana.received.map((r) => r.path.split('?')[0])).toEqual(['/users/me', '/users/me']);
  });
});
