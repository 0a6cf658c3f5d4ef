import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { postings, sortPostings, storedEvents } from '../sales/testing.js';
import { balanceOf, expectBooksBalanced, projectWriteCounts, setupProjects, type ProjectsFixture } from './testing.js';

describe('payroll runs from submitted timesheets', () => {
  let hub: TestHub;
  let f: ProjectsFixture;
  let project: string;

  /** Records `minutes` for `personId` on `date` and returns the timesheet id. */
  const work = async (personId: string, date: string, minutes: number, billable = true): Promise<string> =>
    (await f.post('/time-entries', { projectId: project, personId, date, minutes, billable, ...(billable ? { rate: 15_000 } : {}) }))['timesheetId'] as string;
  const submit = (id: string) => f.post(`/timesheets/${id}/submit`, undefined, 200);

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupProjects(hub);
    project = await f.project();
  });
  afterEach(() => expectBooksBalanced(hub));
  afterAll(() => hub.close());

  it('pays gross = minutes × rate, withholdings at the given rates and net; posts Dr wages / Cr withholdings / Cr wages payable; pays a timesheet once', async () => {
    const alice = await work('alice', '2026-03-02', 480);
    await work('alice', '2026-03-03', 455, false); // unpaid-for-billing time is still paid to the person
    const bob = await work('bob', '2026-03-04', 301);
    const aliceOpen = await work('alice', '2026-03-10', 60); // not submitted: not paid
    const aliceApril = await work('alice', '2026-04-06', 60); // ends after the period
    await submit(alice);
    await submit(bob);
    await submit(aliceApril);

    const run = await f.post('/payroll-runs', {
      periodStart: '2026-03-01', periodEnd: '2026-03-31', payDate: '2026-03-31',
      rates: [{ personId: 'alice', hourlyRate: 2_500 }, { personId: 'bob', hourlyRate: 3_333 }, { personId: 'nobody', hourlyRate: 1 }],
      withholdings: [{ name: 'Income tax', basisPoints: 2_000 }, { name: 'Pension', basisPoints: 550 }],
    });
    // alice: 935 min × 25.00/h = 389.583… → 38958; tax 7791.6 → 7792; pension 2142.69 → 2143; net 29023.
    // bob: 301 min × 33.33/h = 167.2055 → 16721; tax 3344.2 → 3344; pension 919.655 → 920; net 12457.
    expect(run).toMatchObject({
      object: 'payroll_run', currency: 'USD', payFrom: 'wages_payable', payDate: '2026-03-31', grossPay: 55_679, totalWithholdings: 14_199, netPay: 41_480,
      people: [
        { personId: 'alice', timesheetIds: [alice], minutes: 935, hourlyRate: 2_500, grossPay: 38_958, withholdings: [{ name: 'Income tax', amount: 7_792 }, { name: 'Pension', amount: 2_143 }], netPay: 29_023 },
        { personId: 'bob', timesheetIds: [bob], minutes: 301, hourlyRate: 3_333, grossPay: 16_721, withholdings: [{ name: 'Income tax', amount: 3_344 }, { name: 'Pension', amount: 920 }], netPay: 12_457 },
      ],
    });
    expect(await postings(hub, f.org.id, f.org.apiKey, run['journalEntryId'] as string)).toEqual(sortPostings([
      [f.acc['wages_expense'] ?? '', 'DEBIT', 55_679], [f.acc['withholdings_payable'] ?? '', 'CREDIT', 14_199], [f.acc['wages_payable'] ?? '', 'CREDIT', 41_480],
    ]));
    const events = await storedEvents(hub, { aggregateId: run.id });
    expect(events.map((e) => [e.type, e.aggregateType])).toEqual([['payroll.processed', 'payroll_run']]);
    expect(events[0]?.data.object).toMatchObject({ id: run.id, grossPay: 55_679 });
    for (const id of [alice, bob]) expect((await hub.request('GET', f.path(`/timesheets/${id}`))).body.payrollRunId).toBe(run.id);
    for (const id of [aliceOpen, aliceApril]) expect((await hub.request('GET', f.path(`/timesheets/${id}`))).body.payrollRunId).toBeNull();

    // The same period again: nothing left to pay, nothing written.
    const before = await projectWriteCounts(hub);
    const again = await hub.request('POST', f.path('/payroll-runs'), { body: { periodStart: '2026-03-01', periodEnd: '2026-03-31', rates: [{ personId: 'alice', hourlyRate: 2_500 }] } });
    expect(again.status).toBe(422);
    expect(await projectWriteCounts(hub)).toEqual(before);
    expect((await hub.request('GET', f.path(`/payroll-runs/${run.id}`))).body).toEqual(run);
    expect((await hub.request('GET', f.path('/payroll-runs'))).body.data.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  it('pays net straight from the bank when asked, without withholdings', async () => {
    const sheet = await work('carol', '2026-05-04', 120);
    await submit(sheet);
    const run = await f.post('/payroll-runs', { periodStart: '2026-05-01', periodEnd: '2026-05-31', payFrom: 'bank', rates: [{ personId: 'carol', hourlyRate: 2_000 }] });
    expect(run).toMatchObject({ grossPay: 4_000, totalWithholdings: 0, netPay: 4_000, payDate: '2026-05-31', withholdings: [] });
    expect(await postings(hub, f.org.id, f.org.apiKey, run['journalEntryId'] as string)).toEqual(sortPostings([[f.acc['wages_expense'] ?? '', 'DEBIT', 4_000], [f.acc['bank'] ?? '', 'CREDIT', 4_000]]));
  });

  it('refuses bad input (no rate for a person, withholdings over 100%, reversed period, duplicates) and writes nothing', async () => {
    const sheet = await work('dave', '2026-06-01', 60);
    await submit(sheet);
    const before = await projectWriteCounts(hub);
    const period = { periodStart: '2026-06-01', periodEnd: '2026-06-30' };
    const cases: Array<[unknown, number]> = [
      [{ ...period, rates: [{ personId: 'someone', hourlyRate: 100 }] }, 422],
      [{ ...period, rates: [{ personId: 'dave', hourlyRate: 100 }], withholdings: [{ name: 'a', basisPoints: 6_000 }, { name: 'b', basisPoints: 4_001 }] }, 422],
      [{ periodStart: '2026-06-30', periodEnd: '2026-06-01', rates: [{ personId: 'dave', hourlyRate: 100 }] }, 422],
      [{ ...period, rates: [{ personId: 'dave', hourlyRate: 100 }, { personId: 'dave', hourlyRate: 200 }] }, 422],
      [{ ...period, rates: [] }, 400],
      [{ ...period, rates: [{ personId: 'dave', hourlyRate: -1 }] }, 400],
      [{ ...period, rates: [{ personId: 'dave', hourlyRate: 100 }], withholdings: [{ name: 'a', basisPoints: 10_001 }] }, 400],
      [{ ...period, rates: [{ personId: 'dave', hourlyRate: 100 }], payFrom: 'cash' }, 400],
      [{ periodStart: '2026-06-01', rates: [{ personId: 'dave', hourlyRate: 100 }] }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await hub.request('POST', f.path('/payroll-runs'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
    }
    expect(await projectWriteCounts(hub)).toEqual(before);
  });

  it('two concurrent runs for the same period pay each timesheet once', async () => {
    for (const person of ['p1', 'p2', 'p3']) await submit(await work(person, '2026-07-06', 60));
    const body = { periodStart: '2026-07-01', periodEnd: '2026-07-31', rates: ['p1', 'p2', 'p3'].map((personId) => ({ personId, hourlyRate: 6_000 })) };
    const results = await Promise.all([1, 2, 3].map(() => hub.request('POST', f.path('/payroll-runs'), { body })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 422, 422]);
    expect(await balanceOf(hub, f.org.id, 'wages_expense')).toBe(55_679 + 4_000 + 18_000);
  });

  it('a paid timesheet cannot be paid again, even by a direct update', async () => {
    const [run] = (await hub.request('GET', f.path('/payroll-runs'))).body.data as Array<{ id: string; people: Array<{ timesheetIds: string[] }> }>;
    const sheet = run?.people[0]?.timesheetIds[0] ?? '';
    const other = await hub.db.knex('payroll_runs').whereNot('id', run?.id).first();
    await expect(hub.db.knex('timesheets').where('id', sheet).update({ payroll_run_id: (other as { id: string }).id })).rejects.toThrow(/paid by payroll run/);
  });
});
