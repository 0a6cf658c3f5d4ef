import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { postings, sortPostings, storedEvents } from '../sales/testing.js';
import { balanceOf, expectBooksBalanced, projectWriteCounts, setupProjects, type ProjectsFixture } from './testing.js';
import { isoWeekOf } from './weeks.js';

describe('ISO weeks', () => {
  it('numbers weeks from Monday, week 1 holding the first Thursday', () => {
    expect(isoWeekOf('2026-03-02')).toEqual({ week: '2026-W10', start: '2026-03-02', end: '2026-03-08' });
    expect(isoWeekOf('2026-03-08')).toEqual({ week: '2026-W10', start: '2026-03-02', end: '2026-03-08' });
    // 2027-01-01 is a Friday: it belongs to the last week of 2026 (W53).
    expect(isoWeekOf('2027-01-01')).toEqual({ week: '2026-W53', start: '2026-12-28', end: '2027-01-03' });
    // 2024-12-30 is a Monday whose week holds 2025's first Thursday.
    expect(isoWeekOf('2024-12-30')).toEqual({ week: '2025-W01', start: '2024-12-30', end: '2025-01-05' });
  });
});

describe('time entries, timesheets and invoicing time', () => {
  let hub: TestHub;
  let f: ProjectsFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupProjects(hub);
  });
  afterEach(() => expectBooksBalanced(hub));
  afterAll(() => hub.close());

  it('records time into the person\'s timesheet for the week, with amount = minutes × rate / 60 rounded half away from zero', async () => {
    const project = await f.project();
    const a = await f.post('/time-entries', { projectId: project, personId: 'alice', date: '2026-03-02', minutes: 150, rate: 12_000, description: 'Wireframes' });
    expect(a).toMatchObject({ object: 'time_entry', projectId: project, personId: 'alice', minutes: 150, billable: true, rate: 12_000, currency: 'USD', amount: 30_000, invoiceId: null, billedAt: null });
    // 7 minutes at 1.00/h = 11.67 cents → 12; non-billable entries default to rate 0.
    const b = await f.post('/time-entries', { projectId: project, personId: 'alice', date: '2026-03-08', minutes: 7, rate: 100 });
    expect(b['amount']).toBe(12);
    const c = await f.post('/time-entries', { projectId: project, personId: 'alice', date: '2026-03-04', minutes: 30, billable: false });
    expect(c).toMatchObject({ billable: false, rate: 0, amount: 0 });
    expect(new Set([a['timesheetId'], b['timesheetId'], c['timesheetId']]).size).toBe(1);
    const sheet = (await hub.request('GET', f.path(`/timesheets/${String(a['timesheetId'])}`))).body;
    expect(sheet).toMatchObject({ object: 'timesheet', personId: 'alice', week: '2026-W10', weekStart: '2026-03-02', weekEnd: '2026-03-08', status: 'OPEN', totalMinutes: 187, billableMinutes: 157 });
    const nextWeek = await f.post('/time-entries', { projectId: project, personId: 'alice', date: '2026-03-09', minutes: 60, rate: 12_000 });
    expect(nextWeek['timesheetId']).not.toBe(a['timesheetId']);
    const bob = await f.post('/time-entries', { projectId: project, personId: 'bob', date: '2026-03-02', minutes: 60, rate: 9_000 });
    expect(bob['timesheetId']).not.toBe(a['timesheetId']);
    expect((await storedEvents(hub, { aggregateId: a.id })).map((e) => e.type)).toEqual(['time_entry.created']);
    const list = await hub.request('GET', f.path('/timesheets?personId=alice&week=2026-W10'));
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([a['timesheetId']]);
  });

  it('a submitted timesheet is locked: entries in its week are refused with 409 and nothing is written', async () => {
    const project = await f.project();
    const entry = await f.post('/time-entries', { projectId: project, personId: 'carol', date: '2026-04-06', minutes: 480, rate: 10_000 });
    const submitted = await f.post(`/timesheets/${String(entry['timesheetId'])}/submit`, undefined, 200);
    expect(submitted).toMatchObject({ status: 'SUBMITTED', submittedAt: expect.any(String), totalMinutes: 480 });
    expect((await storedEvents(hub, { aggregateId: entry['timesheetId'] as string })).map((e) => e.type)).toEqual(['timesheet.submitted']);
    const before = await projectWriteCounts(hub);
    const locked = await hub.request('POST', f.path('/time-entries'), { body: { projectId: project, personId: 'carol', date: '2026-04-12', minutes: 30, rate: 10_000 } });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('TIMESHEET_LOCKED');
    const again = await hub.request('POST', f.path(`/timesheets/${String(entry['timesheetId'])}/submit`));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_STATE_TRANSITION');
    expect(await projectWriteCounts(hub)).toEqual(before);
    // Another person's week, and carol's next week, are open.
    await f.post('/time-entries', { projectId: project, personId: 'dave', date: '2026-04-12', minutes: 30, rate: 10_000 });
    await f.post('/time-entries', { projectId: project, personId: 'carol', date: '2026-04-13', minutes: 30, rate: 10_000 });
  });

  it('refuses time on a project that is not STARTED or PAUSED, and bad input, writing nothing', async () => {
    const created = await f.project({ start: false });
    const done = await f.project();
    await f.post(`/projects/${done}/complete`, undefined, 200);
    const paused = await f.project();
    await f.post(`/projects/${paused}/pause`, undefined, 200);
    const other = await setupProjects(hub, 'Other Ltd');
    const theirs = await other.project();
    const before = await projectWriteCounts(hub);
    const ok = { personId: 'erin', date: '2026-05-04', minutes: 60, rate: 5_000 };
    const cases: Array<[unknown, number, string]> = [
      [{ ...ok, projectId: created }, 409, 'PROJECT_NOT_ACTIVE'],
      [{ ...ok, projectId: done }, 409, 'PROJECT_NOT_ACTIVE'],
      [{ ...ok, projectId: theirs }, 422, 'UNPROCESSABLE'],
      [{ ...ok, projectId: paused, rate: undefined }, 422, 'UNPROCESSABLE'],
      [{ ...ok, projectId: paused, minutes: 0 }, 400, 'VALIDATION_FAILED'],
      [{ ...ok, projectId: paused, minutes: 1441 }, 400, 'VALIDATION_FAILED'],
      [{ ...ok, projectId: paused, minutes: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ ...ok, projectId: paused, rate: -1 }, 400, 'VALIDATION_FAILED'],
      [{ ...ok, projectId: paused, date: '2026-02-30' }, 400, 'VALIDATION_FAILED'],
      [{ ...ok, projectId: paused, personId: 'a b' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await hub.request('POST', f.path('/time-entries'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect(await projectWriteCounts(hub)).toEqual(before);
    // A paused project still takes time.
    await f.post('/time-entries', { ...ok, projectId: paused });
  });

  it('invoices unbilled billable time once: one line per person and rate, Dr receivables / Cr service revenue, entries marked billed', async () => {
    const project = await f.project();
    const entries = [
      { personId: 'alice', date: '2026-06-01', minutes: 90, rate: 12_000 },
      { personId: 'alice', date: '2026-06-02', minutes: 45, rate: 12_000 },
      { personId: 'bob', date: '2026-06-02', minutes: 60, rate: 9_000 },
      { personId: 'bob', date: '2026-06-20', minutes: 60, rate: 9_000 },
      { personId: 'bob', date: '2026-06-03', minutes: 600, billable: false },
    ];
    const ids: string[] = [];
    for (const e of entries) ids.push((await f.post('/time-entries', { projectId: project, ...e })).id);
    const invoice = await f.post(`/projects/${project}/invoice-time`, { through: '2026-06-10', issueDate: '2026-06-10' });
    // alice 135 min × 120.00 = 270.00; bob 60 min × 90.00 = 90.00; the 06-20 entry is after `through`.
    expect(invoice).toMatchObject({ object: 'invoice', status: 'SENT', customerId: f.customerId, issueDate: '2026-06-10', subtotal: 36_000, total: 36_000, metadata: { projectId: project } });
    expect((invoice['lines'] as Array<{ unitPrice: number; quantity: string; description: string }>).map((l) => [l.description, l.quantity, l.unitPrice])).toEqual([
      ['Time: alice, 2h15 at 12000 per hour', '1', 27_000], ['Time: bob, 1h00 at 9000 per hour', '1', 9_000],
    ]);
    expect(await postings(hub, f.org.id, f.org.apiKey, invoice['journalEntryId'] as string)).toEqual(sortPostings([[f.acc['receivables'] ?? '', 'DEBIT', 36_000], [f.acc['service_revenue'] ?? '', 'CREDIT', 36_000]]));
    expect((await storedEvents(hub, { aggregateId: invoice.id })).map((e) => e.type)).toEqual(['invoice.created', 'invoice.issued']);
    const billed = (await hub.request('GET', f.path(`/time-entries?projectId=${project}&billed=true`))).body.data as Array<{ id: string; invoiceId: string; billedAt: string }>;
    expect(billed.map((e) => e.id)).toEqual([ids[0], ids[1], ids[2]]);
    expect(billed.every((e) => e.invoiceId === invoice.id && e.billedAt)).toBe(true);
    const unbilled = (await hub.request('GET', f.path(`/time-entries?projectId=${project}&billed=false`))).body.data as Array<{ id: string }>;
    expect(unbilled.map((e) => e.id)).toEqual([ids[3]]);

    // Nothing left up to the 10th: refused, nothing written. The rest is billed by the next run, once.
    const before = await projectWriteCounts(hub);
    const none = await hub.request('POST', f.path(`/projects/${project}/invoice-time`), { body: { through: '2026-06-10' } });
    expect(none.status).toBe(422);
    expect(await projectWriteCounts(hub)).toEqual(before);
    const second = await f.post(`/projects/${project}/invoice-time`, { issueDate: '2026-06-30' });
    expect(second['total']).toBe(9_000);
    expect((await hub.request('POST', f.path(`/projects/${project}/invoice-time`), { body: {} })).status).toBe(422);
  });

  it('two concurrent invoicing requests bill each entry once', async () => {
    const project = await f.project();
    for (let i = 0; i < 5; i++) await f.post('/time-entries', { projectId: project, personId: 'zoe', date: '2026-07-01', minutes: 60, rate: 1_000 });
    const results = await Promise.all([1, 2, 3].map(() => hub.request('POST', f.path(`/projects/${project}/invoice-time`), { body: { issueDate: '2026-07-02' } })));
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 422)).toHaveLength(2);
    expect(ok[0]?.body.total).toBe(5_000);
    const invoiced = await hub.db.knex('invoices').where('organization_id', f.org.id).whereRaw("metadata->>'projectId' = ?", [project]);
    expect(invoiced).toHaveLength(1);
  });

  it('the database refuses to bill an entry twice even when asked directly', async () => {
    const project = await f.project();
    const entry = await f.post('/time-entries', { projectId: project, personId: 'yan', date: '2026-07-06', minutes: 60, rate: 1_000 });
    const first = await f.post(`/projects/${project}/invoice-time`, { issueDate: '2026-07-06' });
    const other = await f.post('/invoices', { customerId: f.customerId, lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] });
    await expect(hub.db.knex('time_entries').where('id', entry.id).update({ invoice_id: other.id })).rejects.toThrow(/billed on invoice/);
    expect((await hub.request('GET', f.path(`/time-entries/${entry.id}`))).body.invoiceId).toBe(first.id);
    expect(await balanceOf(hub, f.org.id, 'receivables')).toBeGreaterThan(0);
  });

  it('invoices a foreign-currency project at the given rate', async () => {
    const project = await f.project({ currency: 'EUR' });
    await f.post('/time-entries', { projectId: project, personId: 'eve', date: '2026-08-03', minutes: 60, rate: 10_000 });
    const noRate = await hub.request('POST', f.path(`/projects/${project}/invoice-time`), { body: {} });
    expect(noRate.status).toBe(422);
    const invoice = await f.post(`/projects/${project}/invoice-time`, { exchangeRate: '1.1', issueDate: '2026-08-03' });
    expect(invoice).toMatchObject({ currency: 'EUR', exchangeRate: '1.1', total: 10_000 });
    const entry = await hub.core.services.ledger.getEntry(f.org.id, invoice['journalEntryId'] as string);
    expect(entry.lines.map((l) => [l.direction, l.amount, l.baseAmount])).toEqual([['DEBIT', 10_000, 11_000], ['CREDIT', 10_000, 11_000]]);
  });
});
