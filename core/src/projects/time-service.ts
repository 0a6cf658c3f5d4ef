import type { Knex } from 'knex';
import type { EventMetadata, TimeEntry, TimeEntryCreate, TimeEntryListQuery, Timesheet, TimesheetListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { divRound, toSafeNumber } from '../shared/money.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import { ACTIVE, type ProjectService } from './project-service.js';
import { toTimeEntry, toTimesheet } from './mappers.js';
import { TimeEntryModel, TimesheetModel } from './model.js';
import { isoWeekOf } from './weeks.js';

export interface TimeService {
  /** Records time on a STARTED or PAUSED project in the person's timesheet for that week (409 TIMESHEET_LOCKED once it is submitted). */
  createEntry(organizationId: string, input: TimeEntryCreate, meta: EventMetadata): Promise<TimeEntry>;
  getEntry(organizationId: string, id: string): Promise<TimeEntry>;
  listEntries(organizationId: string, query: TimeEntryListQuery): Promise<Page<TimeEntry>>;
  getTimesheet(organizationId: string, id: string): Promise<Timesheet>;
  listTimesheets(organizationId: string, query: TimesheetListQuery): Promise<Page<Timesheet>>;
  /** OPEN → SUBMITTED (`timesheet.submitted`); the week is locked from then on. */
  submit(organizationId: string, id: string, meta: EventMetadata): Promise<Timesheet>;
}

/** minutes × hourly rate / 60, rounded half away from zero to the minor unit. */
export function timeAmount(minutes: number, hourlyRate: number): number {
  return toSafeNumber(divRound(BigInt(minutes) * BigInt(hourlyRate), 60n));
}

export function createTimeService(deps: { knex: Knex; events: EventStore; projects: Pick<ProjectService, 'require'> }): TimeService {
  const { knex, events } = deps;

  /** The person's timesheet for the week, created when it is the week's first entry, locked until the transaction ends. */
  async function weekSheet(trx: Knex.Transaction, organizationId: string, personId: string, date: string): Promise<TimesheetModel> {
    const { week, start, end } = isoWeekOf(date);
    await TimesheetModel.forOrganization(organizationId, trx)
      .insert({ id: newId('ts'), organizationId, personId, week, weekStart: start, weekEnd: end, status: 'OPEN' } as Partial<TimesheetModel>)
      .onConflict(['organization_id', 'person_id', 'week']).ignore();
    const sheet = await TimesheetModel.forOrganization(organizationId, trx).where({ person_id: personId, week }).forUpdate().first();
    if (!sheet) throw new Error(`timesheet of ${personId} for ${week} was neither found nor created`);
    return sheet;
  }

  return {
    async createEntry(organizationId, input, meta) {
      const billable = input.billable ?? true;
      if (billable && input.rate === undefined) throw unprocessable('A billable time entry needs a rate (per hour, minor units of the project currency).', [{ field: '/rate', in: 'body', message: 'required for a billable entry' }]);
      const rate = input.rate ?? 0;
      return knex.transaction(async (trx) => {
        const project = await deps.projects.require(trx, organizationId, input.projectId, ACTIVE, '/projectId');
        const sheet = await weekSheet(trx, organizationId, input.personId, input.date);
        if (sheet.status !== 'OPEN') throw new AppError('TIMESHEET_LOCKED', `The timesheet ${sheet.id} of ${input.personId} for ${sheet.week} is submitted: it takes no more time entries.`);
        const row = await TimeEntryModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('te'), organizationId, projectId: project.id, timesheetId: sheet.id, personId: input.personId, date: input.date, minutes: input.minutes, billable, rate,
          currency: project.currency, amount: timeAmount(input.minutes, rate), description: input.description ?? null, invoiceId: null, billedAt: null, metadata: input.metadata ?? {},
        } as Partial<TimeEntryModel>);
        await TimesheetModel.forOrganization(organizationId, trx).findById(sheet.id).patch({
          totalMinutes: sheet.totalMinutes + input.minutes, billableMinutes: sheet.billableMinutes + (billable ? input.minutes : 0), updatedAt: new Date(),
        } as Partial<TimesheetModel>);
        const entry = toTimeEntry(row);
        await events.append(trx, [{ type: 'time_entry.created', aggregateType: 'time_entry', aggregateId: entry.id, organizationId, data: { object: entry } }], meta);
        return entry;
      });
    },

    async getEntry(organizationId, id) {
      return toTimeEntry(await TimeEntryModel.findInOrganization(organizationId, id, 'time entry', knex));
    },

    async listEntries(organizationId, query) {
      const q = TimeEntryModel.forOrganization(organizationId, knex);
      if (query.projectId) q.where('project_id', query.projectId);
      if (query.personId) q.where('person_id', query.personId);
      if (query.timesheetId) q.where('timesheet_id', query.timesheetId);
      if (query.from) q.where('date', '>=', query.from);
      if (query.to) q.where('date', '<=', query.to);
      if (query.billed === true) q.whereNotNull('invoice_id');
      if (query.billed === false) q.where('billable', true).whereNull('invoice_id');
      return fetchPage(q, query, toTimeEntry);
    },

    async getTimesheet(organizationId, id) {
      return toTimesheet(await TimesheetModel.findInOrganization(organizationId, id, 'timesheet', knex));
    },

    async listTimesheets(organizationId, query) {
      const q = TimesheetModel.forOrganization(organizationId, knex);
      if (query.personId) q.where('person_id', query.personId);
      if (query.week) q.where('week', query.week);
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toTimesheet);
    },

    async submit(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await TimesheetModel.findInOrganization(organizationId, id, 'timesheet', trx, { forUpdate: true });
        if (row.status !== 'OPEN') throw new AppError('INVALID_STATE_TRANSITION', `Timesheet ${id} is ${row.status}: only an OPEN timesheet can be submitted.`);
        const updated = await TimesheetModel.forOrganization(organizationId, trx).patchAndFetchById(id, { status: 'SUBMITTED', submittedAt: new Date(), updatedAt: new Date() });
        const sheet = toTimesheet(updated);
        await events.append(trx, [{ type: 'timesheet.submitted', aggregateType: 'timesheet', aggregateId: id, organizationId, data: { object: sheet, previousAttributes: { status: 'OPEN', submittedAt: null } } }], meta);
        return sheet;
      });
    },
  };
}
