import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { storedEvents } from '../sales/testing.js';
import { balanceOf, expectBooksBalanced, setupProjects, type ProjectsFixture } from './testing.js';

describe('voiding an invoice a project billed', () => {
  let hub: TestHub;
  let f: ProjectsFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupProjects(hub);
  });
  afterEach(() => expectBooksBalanced(hub));
  afterAll(() => hub.close());

  it('gives the time back to be billed again, once', async () => {
    const project = await f.project();
    const entry = await f.post('/time-entries', { projectId: project, personId: 'ann', date: '2026-03-02', minutes: 60, rate: 10_000 });
    const first = await f.post(`/projects/${project}/invoice-time`, { issueDate: '2026-03-06' });
    await f.post(`/invoices/${first.id}/void`, {}, 200);
    expect((await hub.request('GET', f.path(`/time-entries/${entry.id}`))).body).toMatchObject({ invoiceId: null, billedAt: null });
    const second = await f.post(`/projects/${project}/invoice-time`, { issueDate: '2026-03-07' });
    expect(second['total']).toBe(10_000);
    expect((await hub.request('GET', f.path(`/time-entries/${entry.id}`))).body.invoiceId).toBe(second.id);
    // The database still refuses to move billed time between live invoices.
    await expect(hub.db.knex('time_entries').where('id', entry.id).update({ invoice_id: null, billed_at: null })).rejects.toThrow(/billed on invoice/);
    expect(await balanceOf(hub, f.org.id, 'receivables')).toBe(10_000);
  });

  it('takes back a pending milestone\'s billing and reverses its deferral', async () => {
    const project = await f.project();
    const ms = await f.post(`/projects/${project}/milestones`, { name: 'Design', amount: 80_000 });
    const billed = await f.post(`/milestones/${ms.id}/invoice`, { amount: 30_000, issueDate: '2026-04-01' }, 200);
    const [billing] = billed['invoices'] as Array<{ invoiceId: string; deferralEntryId: string }>;
    const deferredBefore = await balanceOf(hub, f.org.id, 'deferred_revenue');
    const revenueBefore = await balanceOf(hub, f.org.id, 'service_revenue');
    await f.post(`/invoices/${billing?.invoiceId ?? ''}/void`, {}, 200);
    expect((await hub.request('GET', f.path(`/milestones/${ms.id}`))).body).toMatchObject({ status: 'PENDING', amountBilled: 0, amountRecognized: 0, invoices: [] });
    expect(await balanceOf(hub, f.org.id, 'deferred_revenue')).toBe(deferredBefore + 30_000);
    expect(await balanceOf(hub, f.org.id, 'service_revenue')).toBe(revenueBefore);
    expect((await hub.core.services.ledger.getEntry(f.org.id, billing?.deferralEntryId ?? '')).reversedBy).toEqual(expect.any(String));
    expect((await storedEvents(hub, { aggregateId: ms.id })).map((e) => e.type)).toEqual(['milestone.created', 'milestone.billed', 'milestone.updated']);
    // It can be billed in full again.
    expect((await f.post(`/milestones/${ms.id}/invoice`, {}, 200))['amountBilled']).toBe(80_000);
  });

  it('takes back a completed milestone\'s recognised revenue with the invoice', async () => {
    const project = await f.project();
    const ms = await f.post(`/projects/${project}/milestones`, { name: 'Launch', amount: 50_000 });
    const done = await f.post(`/milestones/${ms.id}/complete`, { date: '2026-05-02', invoice: { issueDate: '2026-05-01' } }, 200);
    const invoiceId = (done['invoices'] as Array<{ invoiceId: string }>)[0]?.invoiceId ?? '';
    const revenueBefore = await balanceOf(hub, f.org.id, 'service_revenue');
    const deferredBefore = await balanceOf(hub, f.org.id, 'deferred_revenue');
    await f.post(`/invoices/${invoiceId}/void`, {}, 200);
    expect((await hub.request('GET', f.path(`/milestones/${ms.id}`))).body).toMatchObject({ status: 'COMPLETED', amountBilled: 0, amountRecognized: 0, invoices: [] });
    expect(await balanceOf(hub, f.org.id, 'service_revenue')).toBe(revenueBefore + 50_000);
    expect(await balanceOf(hub, f.org.id, 'deferred_revenue')).toBe(deferredBefore);
  });
});
