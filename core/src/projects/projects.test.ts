import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { postings, sortPostings, storedEvents } from '../sales/testing.js';
import { balanceOf, expectBooksBalanced, projectWriteCounts, setupProjects, type ProjectsFixture } from './testing.js';

describe('projects: status machine', () => {
  let hub: TestHub;
  let f: ProjectsFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupProjects(hub);
  });
  afterEach(() => expectBooksBalanced(hub));
  afterAll(() => hub.close());

  it('creates a project for a customer with a budget, in the customer\'s currency, and records project.created', async () => {
    const p = await f.post('/projects', { customerId: f.customerId, name: 'Redesign', description: 'New site', budget: 2_500_000, startDate: '2026-03-01', metadata: { crm: 'A-1' } });
    expect(p).toMatchObject({ object: 'project', status: 'CREATED', customerId: f.customerId, currency: 'USD', budget: 2_500_000, startDate: '2026-03-01', endDate: null, startedAt: null, metadata: { crm: 'A-1' } });
    const events = await storedEvents(hub, { aggregateId: p.id });
    expect(events.map((e) => [e.type, e.aggregateType, e.version])).toEqual([['project.created', 'project', 1]]);
    expect((await hub.request('GET', f.path(`/projects/${p.id}`))).body).toEqual(p);
  });

  it('walks CREATED → STARTED ↔ PAUSED → COMPLETED with one event per move', async () => {
    const id = await f.project({ start: false });
    for (const [action, status] of [['start', 'STARTED'], ['pause', 'PAUSED'], ['start', 'STARTED'], ['pause', 'PAUSED'], ['complete', 'COMPLETED']] as const) {
      const res = await f.post(`/projects/${id}/${action}`, undefined, 200);
      expect(res.status).toBe(status);
    }
    const events = await storedEvents(hub, { aggregateId: id });
    expect(events.map((e) => e.type)).toEqual(['project.created', 'project.started', 'project.paused', 'project.started', 'project.paused', 'project.completed']);
    expect(events.at(-1)?.data.previousAttributes).toMatchObject({ status: 'PAUSED', completedAt: null });
  });

  it('refuses every illegal transition with 409 INVALID_STATE_TRANSITION and writes nothing', async () => {
    const created = await f.project({ start: false });
    const started = await f.project();
    const completed = await f.project();
    await f.post(`/projects/${completed}/complete`, undefined, 200);
    const cancelled = await f.project({ start: false });
    await f.post(`/projects/${cancelled}/cancel`, undefined, 200);
    const before = await projectWriteCounts(hub);
    const illegal: Array<[string, string]> = [
      [created, 'pause'], [created, 'complete'], [started, 'start'],
      [completed, 'start'], [completed, 'pause'], [completed, 'complete'], [completed, 'cancel'],
      [cancelled, 'start'], [cancelled, 'pause'], [cancelled, 'complete'], [cancelled, 'cancel'],
    ];
    for (const [id, action] of illegal) {
      const res = await hub.request('POST', f.path(`/projects/${id}/${action}`));
      expect(res.status, `${action}`).toBe(409);
      expect(res.body.code).toBe('INVALID_STATE_TRANSITION');
      expect(res.body.detail).toContain(action);
    }
    expect(await projectWriteCounts(hub)).toEqual(before);
  });

  it('refuses bad input with 4xx and writes nothing; another organization sees nothing', async () => {
    const other = await setupProjects(hub, 'Other Ltd');
    const mine = await f.project();
    const before = await projectWriteCounts(hub);
    const cases: Array<[unknown, number, string]> = [
      [{ customerId: f.customerId }, 400, 'VALIDATION_FAILED'],
      [{ customerId: f.customerId, name: 'x', budget: -1 }, 400, 'VALIDATION_FAILED'],
      [{ customerId: f.customerId, name: 'x', budget: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ customerId: f.customerId, name: 'x', currency: 'usd' }, 400, 'VALIDATION_FAILED'],
      [{ customerId: f.customerId, name: 'x', startDate: '2026-03-10', endDate: '2026-03-01' }, 422, 'UNPROCESSABLE'],
      [{ customerId: other.customerId, name: 'x' }, 422, 'UNPROCESSABLE'],
      [{ customerId: 'cus_nope', name: 'x' }, 422, 'UNPROCESSABLE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await hub.request('POST', f.path('/projects'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect((await hub.request('POST', other.path(`/projects/${mine}/start`), { token: other.org.apiKey })).status).toBe(404);
    expect((await hub.request('GET', other.path(`/projects/${mine}`), { token: other.org.apiKey })).status).toBe(404);
    expect((await hub.request('GET', other.path('/projects'), { token: other.org.apiKey })).body.data).toEqual([]);
    expect(await projectWriteCounts(hub)).toEqual(before);
  });

  it('lists projects by status, a page at a time', async () => {
    const page = await hub.request('GET', f.path('/projects?status=COMPLETED&limit=1'));
    expect(page.body.data).toHaveLength(1);
    expect(page.body.data[0].status).toBe('COMPLETED');
    const next = await hub.request('GET', f.path(`/projects?status=COMPLETED&limit=1&cursor=${page.body.nextCursor}`));
    expect(next.body.data).toHaveLength(1);
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  });
});

describe('milestones: billing in advance, completion and revenue recognition', () => {
  let hub: TestHub;
  let f: ProjectsFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupProjects(hub);
  });
  afterEach(() => expectBooksBalanced(hub));
  afterAll(() => hub.close());

  it('bills a milestone in advance to deferred revenue, then recognises it on completion', async () => {
    const project = await f.project();
    const ms = await f.post(`/projects/${project}/milestones`, { name: 'Design approved', amount: 500_000, dueDate: '2026-03-31' });
    expect(ms).toMatchObject({ object: 'milestone', status: 'PENDING', amount: 500_000, currency: 'USD', amountBilled: 0, amountRecognized: 0, invoices: [] });

    const billed = await f.post(`/milestones/${ms.id}/invoice`, { amount: 200_000, issueDate: '2026-03-02' }, 200);
    expect(billed).toMatchObject({ amountBilled: 200_000, amountRecognized: 0, invoices: [{ amount: 200_000, date: '2026-03-02' }] });
    const invoiceId = (billed['invoices'] as Array<{ invoiceId: string }>)[0]?.invoiceId ?? '';
    const invoice = (await hub.request('GET', f.path(`/invoices/${invoiceId}`))).body;
    expect(invoice).toMatchObject({ status: 'SENT', customerId: f.customerId, total: 200_000, number: 'INV-00001', metadata: { projectId: project, milestoneId: ms.id } });
    expect(await postings(hub, f.org.id, f.org.apiKey, invoice.journalEntryId)).toEqual(sortPostings([[f.acc['receivables'] ?? '', 'DEBIT', 200_000], [f.acc['service_revenue'] ?? '', 'CREDIT', 200_000]]));
    const deferral = (await hub.core.services.ledger.entriesForSource(f.org.id, 'milestone', ms.id));
    expect(deferral).toHaveLength(1);
    expect(await postings(hub, f.org.id, f.org.apiKey, deferral[0]?.id ?? '')).toEqual(sortPostings([[f.acc['service_revenue'] ?? '', 'DEBIT', 200_000], [f.acc['deferred_revenue'] ?? '', 'CREDIT', 200_000]]));
    expect(await balanceOf(hub, f.org.id, 'deferred_revenue')).toBe(-200_000);
    expect(await balanceOf(hub, f.org.id, 'service_revenue')).toBe(0);

    // Completion bills the rest (300000) and recognises all 500000 in the same transaction.
    const done = await f.post(`/milestones/${ms.id}/complete`, { date: '2026-03-31', invoice: { issueDate: '2026-03-30' } }, 200);
    expect(done).toMatchObject({ status: 'COMPLETED', completedOn: '2026-03-31', amountBilled: 500_000, amountRecognized: 500_000 });
    expect(done['invoices']).toHaveLength(2);
    expect(await balanceOf(hub, f.org.id, 'deferred_revenue')).toBe(0);
    expect(await balanceOf(hub, f.org.id, 'service_revenue')).toBe(-500_000);
    expect(await balanceOf(hub, f.org.id, 'receivables')).toBe(500_000);
    const entries = await hub.core.services.ledger.entriesForSource(f.org.id, 'milestone', ms.id);
    const recognition = entries.find((e) => e.date === '2026-03-31');
    expect(await postings(hub, f.org.id, f.org.apiKey, recognition?.id ?? '')).toEqual(sortPostings([[f.acc['deferred_revenue'] ?? '', 'DEBIT', 500_000], [f.acc['service_revenue'] ?? '', 'CREDIT', 500_000]]));
    // As of the day before completion, the revenue was still deferred.
    const pnl = await hub.core.services.reports.trialBalance(f.org.id, { asOf: '2026-03-30' });
    expect(pnl.accounts.find((a) => a.accountId === f.acc['deferred_revenue'])?.credit).toBe(500_000);

    const events = await storedEvents(hub, { aggregateId: ms.id });
    expect(events.map((e) => [e.type, e.version])).toEqual([['milestone.created', 1], ['milestone.billed', 2], ['milestone.completed', 3], ['revenue.recognized', 4]]);
    expect(events[1]?.data.previousAttributes).toMatchObject({ amountBilled: 0, invoices: [] });
    expect(events[3]?.data.object).toEqual({ object: 'revenue_recognition', milestoneId: ms.id, projectId: project, amount: 500_000, currency: 'USD', date: '2026-03-31', journalEntryId: recognition?.id });
    expect(events[2]?.data.previousAttributes).toMatchObject({ status: 'PENDING', amountRecognized: 0, amountBilled: 200_000 });
  });

  it('completes a milestone that was never billed without posting anything', async () => {
    const project = await f.project();
    const ms = await f.post(`/projects/${project}/milestones`, { name: 'Kick-off', amount: 10_000 });
    const before = await hub.db.knex('journal_entries').count({ n: '*' }).first();
    const done = await f.post(`/milestones/${ms.id}/complete`, {}, 200);
    expect(done).toMatchObject({ status: 'COMPLETED', amountBilled: 0, amountRecognized: 0 });
    expect(await hub.db.knex('journal_entries').count({ n: '*' }).first()).toEqual(before);
    expect((await storedEvents(hub, { aggregateId: ms.id })).map((e) => e.type)).toEqual(['milestone.created', 'milestone.completed']);
  });

  it('refuses over-billing, billing or completing twice, completing on an inactive project, and bad input; nothing is written', async () => {
    const project = await f.project();
    const ms = await f.post(`/projects/${project}/milestones`, { name: 'Build', amount: 100_000 });
    await f.post(`/milestones/${ms.id}/invoice`, { amount: 60_000, issueDate: '2026-04-01' }, 200);
    const done = await f.post(`/projects/${project}/milestones`, { name: 'Done', amount: 5_000 });
    await f.post(`/milestones/${done.id}/complete`, {}, 200);
    const idle = await f.project({ start: false });
    const idleMs = await f.post(`/projects/${idle}/milestones`, { name: 'Later', amount: 5_000 });
    const other = await setupProjects(hub, 'Other Ltd');
    const before = await projectWriteCounts(hub);
    const cases: Array<[string, unknown, number, string, string?]> = [
      [`/milestones/${ms.id}/invoice`, { amount: 40_001 }, 422, 'UNPROCESSABLE'],
      [`/milestones/${ms.id}/invoice`, { amount: 0 }, 400, 'VALIDATION_FAILED'],
      [`/milestones/${ms.id}/complete`, { date: '2026-03-31' }, 422, 'UNPROCESSABLE'],
      [`/milestones/${ms.id}/complete`, { invoice: { amount: 50_000 } }, 422, 'UNPROCESSABLE'],
      [`/milestones/${done.id}/invoice`, {}, 409, 'INVALID_STATE_TRANSITION'],
      [`/milestones/${done.id}/complete`, {}, 409, 'INVALID_STATE_TRANSITION'],
      [`/milestones/${idleMs.id}/complete`, {}, 409, 'PROJECT_NOT_ACTIVE'],
      [`/projects/${project}/milestones`, { name: 'x', amount: -5 }, 400, 'VALIDATION_FAILED'],
      [`/projects/${project}/milestones`, { name: 'x' }, 400, 'VALIDATION_FAILED'],
      [`/projects/proj_nope/milestones`, { name: 'x', amount: 5 }, 404, 'NOT_FOUND'],
      [`/milestones/${ms.id}/invoice`, {}, 404, 'NOT_FOUND', 'other'],
    ];
    for (const [path, body, status, code, who] of cases) {
      const res = who ? await hub.request('POST', other.path(path), { body, token: other.org.apiKey }) : await hub.request('POST', f.path(path), { body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect(await projectWriteCounts(hub)).toEqual(before);
    const after = (await hub.request('GET', f.path(`/milestones/${ms.id}`))).body;
    expect(after).toMatchObject({ amountBilled: 60_000, status: 'PENDING' });
  });

  it('lists a project\'s milestones', async () => {
    const project = await f.project();
    const a = await f.post(`/projects/${project}/milestones`, { name: 'A', amount: 1 });
    const b = await f.post(`/projects/${project}/milestones`, { name: 'B', amount: 2 });
    await f.post(`/milestones/${a.id}/complete`, {}, 200);
    expect((await hub.request('GET', f.path(`/projects/${project}/milestones`))).body.data.map((m: { id: string }) => m.id)).toEqual([a.id, b.id]);
    expect((await hub.request('GET', f.path(`/projects/${project}/milestones?status=PENDING`))).body.data.map((m: { id: string }) => m.id)).toEqual([b.id]);
  });
});
