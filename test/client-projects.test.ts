import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, UahApiError, type UahClient } from '../client/src/index.js';
import { createTestHub, type TestHub } from '../core/src/testing/harness.js';

/** The projects resources of the typed client against the real core, over HTTP. */
describe('@uah/client projects resources', () => {
  let hub: TestHub;
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    const org = await hub.createOrganization('Client Projects Ltd', 'USD');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('runs a project: time, timesheet, time invoice, payroll, milestone; refusals come back as UahApiError', async () => {
    const customer = await uah.customers.create({ businessName: 'Buyer plc' });
    const project = await uah.projects.create({ customerId: customer.id, name: 'Portal', budget: 900_000 });
    expect((await uah.projects.start(project.id)).status).toBe('STARTED');
    const entry = await uah.timeEntries.create({ projectId: project.id, personId: 'ann', date: '2026-03-02', minutes: 120, rate: 10_000 });
    expect(entry.amount).toBe(20_000);
    expect((await uah.timesheets.submit(entry.timesheetId)).status).toBe('SUBMITTED');
    const locked = await uah.timeEntries.create({ projectId: project.id, personId: 'ann', date: '2026-03-03', minutes: 5, rate: 1 }).catch((e: unknown) => e);
    expect(locked).toBeInstanceOf(UahApiError);
    expect(locked).toMatchObject({ status: 409, code: 'TIMESHEET_LOCKED' });
    const invoice = await uah.projects.invoiceTime(project.id, { issueDate: '2026-03-06' });
    expect(invoice).toMatchObject({ status: 'SENT', total: 20_000 });
    expect((await uah.timeEntries.get(entry.id)).invoiceId).toBe(invoice.id);
    const run = await uah.payrollRuns.create({ periodStart: '2026-03-01', periodEnd: '2026-03-31', rates: [{ personId: 'ann', hourlyRate: 4_000 }] });
    expect(run).toMatchObject({ grossPay: 8_000, netPay: 8_000 });
    expect((await uah.payrollRuns.list()).data.map((r) => r.id)).toEqual([run.id]);
    const ms = await uah.projects.createMilestone(project.id, { name: 'Launch', amount: 30_000 });
    expect((await uah.milestones.invoice(ms.id, { amount: 10_000 })).amountBilled).toBe(10_000);
    expect(await uah.milestones.complete(ms.id, { invoice: {} })).toMatchObject({ status: 'COMPLETED', amountBilled: 30_000, amountRecognized: 30_000 });
    expect((await uah.projects.listMilestones(project.id)).data).toHaveLength(1);
    expect((await uah.projects.complete(project.id)).status).toBe('COMPLETED');
    await expect(uah.projects.pause(project.id)).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE_TRANSITION' });
    const trial = await uah.reports.trialBalance({ asOf: '2999-12-31' });
    expect(trial.balanced).toBe(true);
  });
});
