import fc from 'fast-check';
import { expect } from 'vitest';
import type { EventMetadata, Milestone, PayrollRun, TimeEntry, Timesheet } from '@uah/schemas';
import type { AppError } from '../../core/src/http/errors.js';
import type { TestHub } from '../../core/src/testing/harness.js';
import type { AccountBalance } from '../../core/src/ledger/service.js';
import type { World } from './books-model.js';

/**
 * The projects side of the books under random operations (used through books-model.ts): milestones billed
 * in advance and completed, time recorded in weekly timesheets, submitted, invoiced and paid by payroll.
 */

export type ProjectOp =
  | { kind: 'milestone'; amount: number; bill: number }
  | { kind: 'billMilestone'; pick: number; fraction: number }
  | { kind: 'completeMilestone'; pick: number; invoice: boolean }
  | { kind: 'time'; person: number; day: number; minutes: number; rate: number; billable: boolean }
  | { kind: 'submit'; person: number; day: number }
  | { kind: 'invoiceTime' }
  | { kind: 'payroll'; hourlyRate: number; withholdingBp: number; bank: boolean };

const PEOPLE = ['ann', 'ben'];
/** Days of three ISO weeks of January 2026 (W02, W03, W04). */
const DAYS = ['2026-01-05', '2026-01-08', '2026-01-12', '2026-01-16', '2026-01-19'];
const META: EventMetadata = { source: 'SYSTEM' };
const pick = fc.nat({ max: 1000 });

export const projectOpArbitrary: fc.Arbitrary<ProjectOp> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('milestone' as const), amount: fc.integer({ min: 1, max: 500_000 }), bill: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('billMilestone' as const), pick, fraction: fc.double({ min: 0.05, max: 1.2, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('completeMilestone' as const), pick, invoice: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('time' as const), person: fc.nat({ max: PEOPLE.length - 1 }), day: fc.nat({ max: DAYS.length - 1 }),
      minutes: fc.integer({ min: 1, max: 600 }), rate: fc.integer({ min: 1, max: 30_000 }), billable: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit' as const), person: fc.nat({ max: PEOPLE.length - 1 }), day: fc.nat({ max: DAYS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invoiceTime' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('payroll' as const), hourlyRate: fc.integer({ min: 1, max: 10_000 }), withholdingBp: fc.integer({ min: 0, max: 5_000 }), bank: fc.boolean() }) },
);

/** Runs for the coverage example: each operation succeeds and is refused at least once. */
export const PROJECT_COVERAGE: ProjectOp[] = [
  { kind: 'milestone', amount: 100_000, bill: 0.4 },
  { kind: 'billMilestone', pick: 0, fraction: 1.2 },
  { kind: 'billMilestone', pick: 0, fraction: 0.5 },
  { kind: 'completeMilestone', pick: 0, invoice: true },
  { kind: 'completeMilestone', pick: 0, invoice: false },
  { kind: 'billMilestone', pick: 0, fraction: 0.5 },
  { kind: 'invoiceTime' },
  { kind: 'time', person: 0, day: 0, minutes: 95, rate: 12_345, billable: true },
  { kind: 'time', person: 1, day: 1, minutes: 30, rate: 1, billable: false },
  { kind: 'payroll', hourlyRate: 2_000, withholdingBp: 1_500, bank: false },
  { kind: 'submit', person: 0, day: 0 },
  { kind: 'submit', person: 0, day: 1 },
  { kind: 'time', person: 0, day: 1, minutes: 10, rate: 100, billable: true },
  { kind: 'invoiceTime' },
  { kind: 'invoiceTime' },
  { kind: 'payroll', hourlyRate: 2_000, withholdingBp: 1_500, bank: true },
  { kind: 'submit', person: 1, day: 1 },
  { kind: 'payroll', hourlyRate: 3_000, withholdingBp: 0, bank: false },
];

type Expect = { ok: true } | { refused: string[] };
type Attempt = (expected: Expect, work: () => Promise<unknown>) => Promise<{ expected: Expect; error?: AppError }>;
type Outcome = { expected: Expect; error?: AppError; skipped?: true };

async function all<T>(list: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const milestones = (w: World) => all((cursor) => w.services.projects.milestones.list(w.orgId, w.projectId, { limit: 100, ...(cursor ? { cursor } : {}) }));
const entries = (w: World) => all((cursor) => w.services.projects.time.listEntries(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
const timesheets = (w: World) => all((cursor) => w.services.projects.time.listTimesheets(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
const runs = (w: World) => all((cursor) => w.services.projects.payroll.list(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
const weekOf = (sheets: Timesheet[], person: string, day: string) => sheets.find((s) => s.personId === person && s.weekStart <= day && day <= s.weekEnd);

export async function runProjectOp(w: World, op: ProjectOp, attempt: Attempt): Promise<Outcome> {
  const p = w.services.projects;
  switch (op.kind) {
    case 'milestone':
      return attempt({ ok: true }, async () => {
        const m = await p.milestones.create(w.orgId, w.projectId, { name: 'Deliverable', amount: op.amount }, META);
        const bill = Math.floor(op.amount * op.bill);
        if (bill > 0) await p.milestones.invoice(w.orgId, m.id, { amount: bill }, META);
      });
    case 'billMilestone': {
      const list = await milestones(w);
      const m = list[op.pick % Math.max(list.length, 1)];
      if (!m) return { expected: { ok: true }, skipped: true };
      const left = m.amount - m.amountBilled;
      const amount = Math.max(1, Math.round(m.amount * op.fraction));
      const expected: Expect = m.status !== 'PENDING' ? { refused: ['INVALID_STATE_TRANSITION'] } : amount > left ? { refused: ['UNPROCESSABLE'] } : { ok: true };
      return attempt(expected, () => p.milestones.invoice(w.orgId, m.id, { amount }, META));
    }
    case 'completeMilestone': {
      const list = await milestones(w);
      const m = list[op.pick % Math.max(list.length, 1)];
      if (!m) return { expected: { ok: true }, skipped: true };
      const expected: Expect = m.status !== 'PENDING' ? { refused: ['INVALID_STATE_TRANSITION'] } : op.invoice && m.amountBilled === m.amount ? { refused: ['UNPROCESSABLE'] } : { ok: true };
      return attempt(expected, () => p.milestones.complete(w.orgId, m.id, op.invoice ? { invoice: {} } : {}, META));
    }
    case 'time': {
      const person = PEOPLE[op.person] ?? 'ann';
      const day = DAYS[op.day] ?? '2026-01-05';
      const sheet = weekOf(await timesheets(w), person, day);
      const expected: Expect = sheet?.status === 'SUBMITTED' ? { refused: ['TIMESHEET_LOCKED'] } : { ok: true };
      return attempt(expected, () => p.time.createEntry(w.orgId, { projectId: w.projectId, personId: person, date: day, minutes: op.minutes, billable: op.billable, ...(op.billable ? { rate: op.rate } : {}) }, META));
    }
    case 'submit': {
      const sheet = weekOf(await timesheets(w), PEOPLE[op.person] ?? 'ann', DAYS[op.day] ?? '2026-01-05');
      if (!sheet) return { expected: { ok: true }, skipped: true };
      return attempt(sheet.status === 'OPEN' ? { ok: true } : { refused: ['INVALID_STATE_TRANSITION'] }, () => p.time.submit(w.orgId, sheet.id, META));
    }
    case 'invoiceTime': {
      const unbilled = (await entries(w)).filter((e) => e.billable && e.invoiceId === null);
      return attempt(unbilled.length > 0 ? { ok: true } : { refused: ['UNPROCESSABLE'] }, () => p.timeInvoicing.invoiceTime(w.orgId, w.projectId, {}, META));
    }
    case 'payroll': {
      const due = (await timesheets(w)).filter((s) => s.status === 'SUBMITTED' && s.payrollRunId === null);
      const input = {
        periodStart: '2026-01-01', periodEnd: '2026-12-31', payFrom: op.bank ? ('bank' as const) : ('wages_payable' as const),
        rates: PEOPLE.map((personId) => ({ personId, hourlyRate: op.hourlyRate })), withholdings: op.withholdingBp ? [{ name: 'Tax', basisPoints: op.withholdingBp }] : [],
      };
      return attempt(due.length > 0 ? { ok: true } : { refused: ['UNPROCESSABLE'] }, () => p.payroll.create(w.orgId, input, META));
    }
  }
}

/** What a refused projects operation must leave untouched. */
export async function projectSnapshot(hub: TestHub, orgId: string): Promise<Record<string, unknown>> {
  const k = hub.db.knex;
  return {
    milestones: await k('milestones').where('organization_id', orgId).select('id', 'status', 'amount_billed', 'amount_recognized').orderBy('id'),
    entries: await k('time_entries').where('organization_id', orgId).select('id', 'invoice_id').orderBy('id'),
    timesheets: await k('timesheets').where('organization_id', orgId).select('id', 'status', 'total_minutes', 'payroll_run_id').orderBy('id'),
    runs: Number((await k('payroll_runs').where('organization_id', orgId).count({ n: '*' }).first())?.n),
  };
}

/**
 * Deferred revenue is what milestones billed and did not recognise; no time entry is billed twice (the
 * time invoices bill exactly the entries marked with them); each timesheet holds its entries' minutes and
 * is paid by one run at most; wages and withholdings accounts equal the runs' totals.
 */
export async function checkProjectInvariants(w: World, balances: AccountBalance[]): Promise<void> {
  const balanceOf = (key: string) => balances.find((b) => b.account.systemKey === key)?.balance ?? 0;
  const ms: Milestone[] = await milestones(w);
  expect(0 - balanceOf('deferred_revenue')).toBe(ms.reduce((sum, m) => sum + m.amountBilled - m.amountRecognized, 0));
  for (const m of ms) expect(m.amountBilled).toBe(m.invoices.reduce((sum, i) => sum + i.amount, 0));

  const list: TimeEntry[] = await entries(w);
  const billedBy = new Map<string, number>();
  for (const e of list.filter((x) => x.invoiceId !== null)) billedBy.set(e.invoiceId ?? '', (billedBy.get(e.invoiceId ?? '') ?? 0) + e.amount);
  const timeInvoices = await w.services.invoices.getMany(w.orgId, [...billedBy.keys()]);
  expect(timeInvoices).toHaveLength(billedBy.size);
  for (const inv of timeInvoices) expect(inv.subtotal, inv.id).toBe(billedBy.get(inv.id));
  const projectInvoices = await all((cursor) => w.services.invoices.list(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
  const timeBilled = projectInvoices.filter((i) => i.metadata['projectId'] === w.projectId && !i.metadata['milestoneId']).reduce((s, i) => s + i.subtotal, 0);
  expect(timeBilled).toBe(list.filter((e) => e.invoiceId !== null).reduce((s, e) => s + e.amount, 0));

  const sheets = await timesheets(w);
  for (const s of sheets) expect(s.totalMinutes, s.id).toBe(list.filter((e) => e.timesheetId === s.id).reduce((sum, e) => sum + e.minutes, 0));
  const paid: PayrollRun[] = await runs(w);
  const paidIds = paid.flatMap((r) => r.people.flatMap((person) => person.timesheetIds));
  expect(new Set(paidIds).size).toBe(paidIds.length);
  for (const s of sheets) expect(s.payrollRunId, s.id).toBe(paid.find((r) => r.people.some((person) => person.timesheetIds.includes(s.id)))?.id ?? null);
  expect(balanceOf('wages_expense')).toBe(paid.reduce((sum, r) => sum + r.grossPay, 0));
  expect(0 - balanceOf('withholdings_payable')).toBe(paid.reduce((sum, r) => sum + r.totalWithholdings, 0));
  expect(0 - balanceOf('wages_payable')).toBe(paid.filter((r) => r.payFrom === 'wages_payable').reduce((sum, r) => sum + r.netPay, 0));
}
