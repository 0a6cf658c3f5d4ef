import { defineRoute, type Route } from '../http/route.js';
import type { PayrollService } from './payroll.js';
import type { TimeService } from './time-service.js';

const org = '/v1/organizations/:orgId';

export function createTimeRoutes(deps: { time: TimeService; payroll: PayrollService }): Route[] {
  const { time, payroll } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/time-entries`, operationId: 'createTimeEntry', tag: 'Time', summary: 'Record time on a project',
      description: 'On a STARTED or PAUSED project (409 PROJECT_NOT_ACTIVE otherwise), into the person\'s timesheet for the ISO week of `date` (opened by its first entry). 409 TIMESHEET_LOCKED once that timesheet is submitted. amount = minutes × rate / 60, rounded half away from zero (time_entry.created).',
      body: 'TimeEntryCreate', response: { status: 201, schema: 'TimeEntry' }, errors: [409, 422],
      handler: ({ organizationId, body, actor }) => time.createEntry(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/time-entries`, operationId: 'listTimeEntries', tag: 'Time', summary: 'List time entries',
      query: 'TimeEntryListQuery', response: { status: 200, list: 'TimeEntry' },
      handler: ({ organizationId, query }) => time.listEntries(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/time-entries/:timeEntryId`, operationId: 'getTimeEntry', tag: 'Time', summary: 'Get a time entry',
      response: { status: 200, schema: 'TimeEntry' },
      handler: ({ organizationId, params }) => time.getEntry(organizationId, params['timeEntryId'] ?? ''),
    }),
    defineRoute({
      method: 'GET', path: `${org}/timesheets`, operationId: 'listTimesheets', tag: 'Time', summary: 'List timesheets (per person and ISO week)',
      query: 'TimesheetListQuery', response: { status: 200, list: 'Timesheet' },
      handler: ({ organizationId, query }) => time.listTimesheets(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/timesheets/:timesheetId`, operationId: 'getTimesheet', tag: 'Time', summary: 'Get a timesheet',
      response: { status: 200, schema: 'Timesheet' },
      handler: ({ organizationId, params }) => time.getTimesheet(organizationId, params['timesheetId'] ?? ''),
    }),
    defineRoute({
      method: 'POST', path: `${org}/timesheets/:timesheetId/submit`, operationId: 'submitTimesheet', tag: 'Time', summary: 'Submit a timesheet',
      description: 'OPEN → SUBMITTED (timesheet.submitted): the week is locked, and the timesheet can be paid by a payroll run. 409 INVALID_STATE_TRANSITION when already submitted.',
      response: { status: 200, schema: 'Timesheet' }, errors: [409],
      handler: ({ organizationId, params, actor }) => time.submit(organizationId, params['timesheetId'] ?? '', actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${org}/payroll-runs`, operationId: 'createPayrollRun', tag: 'Payroll', summary: 'Run payroll for a period',
      description: 'Pays the submitted, unpaid timesheets whose week ends within the period: per person gross = minutes × hourly rate / 60, withholdings = gross × basis points / 10000, net = gross − withholdings (each rounded half away from zero). Posts Dr wages expense / Cr withholdings payable / Cr wages payable (or bank) and marks each timesheet paid, in one transaction (payroll.processed). 422 when nothing is due or a person has no rate.',
      body: 'PayrollRunCreate', response: { status: 201, schema: 'PayrollRun' }, errors: [422],
      handler: ({ organizationId, body, actor }) => payroll.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/payroll-runs`, operationId: 'listPayrollRuns', tag: 'Payroll', summary: 'List payroll runs',
      query: 'PayrollRunListQuery', response: { status: 200, list: 'PayrollRun' },
      handler: ({ organizationId, query }) => payroll.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/payroll-runs/:payrollRunId`, operationId: 'getPayrollRun', tag: 'Payroll', summary: 'Get a payroll run',
      response: { status: 200, schema: 'PayrollRun' },
      handler: ({ organizationId, params }) => payroll.get(organizationId, params['payrollRunId'] ?? ''),
    }),
  ];
}
