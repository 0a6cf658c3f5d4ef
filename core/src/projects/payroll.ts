import type { Knex } from 'knex';
import type { EventMetadata, PayrollRun, PayrollRunCreate, PayrollRunListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { divRound, toSafeNumber } from '../shared/money.js';
import { conflict, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { LedgerService, PostingLineInput } from '../ledger/service.js';
import { toPayrollRun } from './mappers.js';
import { PayrollRunModel, TimesheetModel } from './model.js';
import { timeAmount } from './time-service.js';

export interface PayrollService {
  /** Pays the submitted, unpaid timesheets whose week ends in the period; their paid mark commits with the run and its posting. */
  create(organizationId: string, input: PayrollRunCreate, meta: EventMetadata): Promise<PayrollRun>;
  get(organizationId: string, id: string): Promise<PayrollRun>;
  list(organizationId: string, query: PayrollRunListQuery): Promise<Page<PayrollRun>>;
}

type Person = PayrollRun['people'][number];

function checkInput(input: PayrollRunCreate): void {
  if (input.periodEnd < input.periodStart) throw unprocessable(`The period ends (${input.periodEnd}) before it starts (${input.periodStart}).`, [{ field: '/periodEnd', in: 'body', message: 'before periodStart' }]);
  const withheld = (input.withholdings ?? []).reduce((sum, w) => sum + w.basisPoints, 0);
  if (withheld > 10_000) throw unprocessable(`The withholdings add up to ${withheld} basis points, more than the whole pay.`, [{ field: '/withholdings', in: 'body', message: 'more than 10000 basis points in all' }]);
  const seen = new Set<string>();
  for (const [i, r] of input.rates.entries()) {
    if (seen.has(r.personId)) throw unprocessable(`${r.personId} has two rates.`, [{ field: `/rates/${i}/personId`, in: 'body', message: 'given twice' }]);
    seen.add(r.personId);
  }
}

/** Gross, withholdings and net of one person, each rounded half away from zero to the minor unit. */
export function payOf(personId: string, sheets: TimesheetModel[], hourlyRate: number, withholdings: PayrollRun['withholdings']): Person {
  const minutes = sheets.reduce((sum, s) => sum + s.totalMinutes, 0);
  const grossPay = timeAmount(minutes, hourlyRate);
  const withheld = withholdings.map((w) => ({ name: w.name, amount: toSafeNumber(divRound(BigInt(grossPay) * BigInt(w.basisPoints), 10_000n)) }));
  const netPay = grossPay - withheld.reduce((sum, w) => sum + w.amount, 0);
  if (netPay < 0) throw unprocessable(`The withholdings of ${personId} round to more than the gross pay ${grossPay}.`, [{ field: '/withholdings', in: 'body', message: 'exceed the gross pay once rounded' }]);
  return { personId, timesheetIds: sheets.map((s) => s.id), minutes, hourlyRate, grossPay, withholdings: withheld, netPay };
}

export function createPayrollService(deps: { knex: Knex; events: EventStore; organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>; ledger: Pick<LedgerService, 'post'> }): PayrollService {
  const { knex } = deps;

  return {
    async create(organizationId, input, meta) {
      checkInput(input);
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      const payDate = input.payDate ?? input.periodEnd;
      const withholdings = input.withholdings ?? [];
      const payFrom = input.payFrom ?? 'wages_payable';
      return knex.transaction(async (trx) => {
        // Locked: a concurrent run waits, then no longer sees these timesheets as unpaid.
        const sheets = await TimesheetModel.forOrganization(organizationId, trx).where('status', 'SUBMITTED').whereNull('payroll_run_id')
          .whereBetween('week_end', [input.periodStart, input.periodEnd]).orderBy('person_id').orderBy('week').forUpdate();
        if (sheets.length === 0) throw unprocessable(`No submitted, unpaid timesheet ends between ${input.periodStart} and ${input.periodEnd}.`);
        const rates = new Map(input.rates.map((r) => [r.personId, r.hourlyRate]));
        const byPerson = new Map<string, TimesheetModel[]>();
        for (const sheet of sheets) byPerson.set(sheet.personId, [...(byPerson.get(sheet.personId) ?? []), sheet]);
        const missing = [...byPerson.keys()].filter((p) => !rates.has(p));
        if (missing.length > 0) throw unprocessable(`No hourly rate for ${missing.join(', ')}, who have timesheets to pay.`, [{ field: '/rates', in: 'body', message: `missing for ${missing.join(', ')}` }]);
        const people = [...byPerson].map(([personId, list]) => payOf(personId, list, rates.get(personId) ?? 0, withholdings));
        const grossPay = people.reduce((s, p) => s + p.grossPay, 0);
        const netPay = people.reduce((s, p) => s + p.netPay, 0);
        const totalWithholdings = grossPay - netPay;
        const id = newId('pr');
        const lines: PostingLineInput[] = [
          { account: { key: 'wages_expense' }, direction: 'DEBIT', amount: grossPay },
          { account: { key: 'withholdings_payable' }, direction: 'CREDIT', amount: totalWithholdings },
          { account: { key: payFrom }, direction: 'CREDIT', amount: netPay },
        ];
        const posted = lines.filter((l) => l.amount > 0);
        const entry = grossPay > 0
          ? await deps.ledger.post(trx, organizationId, { date: payDate, currency: baseCurrency, memo: `Payroll ${input.periodStart} to ${input.periodEnd}`, source: { type: 'payroll_run', id }, lines: posted }, meta)
          : null;
        const row = await PayrollRunModel.forOrganization(organizationId, trx).insertAndFetch({
          id, organizationId, periodStart: input.periodStart, periodEnd: input.periodEnd, payDate, currency: baseCurrency, payFrom, withholdings, people,
          grossPay, totalWithholdings, netPay, journalEntryId: entry?.id ?? null, metadata: input.metadata ?? {},
        } as Partial<PayrollRunModel>);
        const paid = await TimesheetModel.forOrganization(organizationId, trx).whereIn('id', sheets.map((s) => s.id)).whereNull('payroll_run_id').patch({ payrollRunId: id, updatedAt: new Date() } as Partial<TimesheetModel>);
        if (paid !== sheets.length) throw conflict('Some of the timesheets were paid by another payroll run meanwhile; nothing was paid.');
        const run = toPayrollRun(row);
        await deps.events.append(trx, [{ type: 'payroll.processed', aggregateType: 'payroll_run', aggregateId: id, organizationId, data: { object: run } }], meta);
        return run;
      });
    },

    async get(organizationId, id) {
      return toPayrollRun(await PayrollRunModel.findInOrganization(organizationId, id, 'payroll run', knex));
    },

    async list(organizationId, query) {
      return fetchPage(PayrollRunModel.forOrganization(organizationId, knex), query, toPayrollRun);
    },
  };
}
