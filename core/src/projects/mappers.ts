import type { Milestone, PayrollRun, Project, TimeEntry, Timesheet } from '@uah/schemas';
import { timestampOrNull } from '../sales/dates.js';
import type { MilestoneModel, PayrollRunModel, ProjectModel, TimeEntryModel, TimesheetModel } from './model.js';

const iso = (value: Date | string): string => new Date(value).toISOString();

export function toProject(row: ProjectModel): Project {
  return {
    id: row.id, object: 'project', organizationId: row.organizationId, customerId: row.customerId, name: row.name, description: row.description,
    status: row.status, currency: row.currency, budget: row.budget, startDate: row.startDate, endDate: row.endDate,
    startedAt: timestampOrNull(row.startedAt), pausedAt: timestampOrNull(row.pausedAt), completedAt: timestampOrNull(row.completedAt), cancelledAt: timestampOrNull(row.cancelledAt),
    metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toMilestone(row: MilestoneModel): Milestone {
  return {
    id: row.id, object: 'milestone', organizationId: row.organizationId, projectId: row.projectId, name: row.name, amount: row.amount, currency: row.currency,
    dueDate: row.dueDate, status: row.status, completedOn: row.completedOn, amountBilled: row.amountBilled, amountRecognized: row.amountRecognized,
    invoices: row.invoices, metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toTimesheet(row: TimesheetModel): Timesheet {
  return {
    id: row.id, object: 'timesheet', organizationId: row.organizationId, personId: row.personId, week: row.week, weekStart: row.weekStart, weekEnd: row.weekEnd,
    status: row.status, totalMinutes: row.totalMinutes, billableMinutes: row.billableMinutes, submittedAt: timestampOrNull(row.submittedAt), payrollRunId: row.payrollRunId,
    createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toTimeEntry(row: TimeEntryModel): TimeEntry {
  return {
    id: row.id, object: 'time_entry', organizationId: row.organizationId, projectId: row.projectId, timesheetId: row.timesheetId, personId: row.personId,
    date: row.date, minutes: row.minutes, billable: row.billable, rate: row.rate, currency: row.currency, amount: row.amount, description: row.description,
    invoiceId: row.invoiceId, billedAt: timestampOrNull(row.billedAt), metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}

export function toPayrollRun(row: PayrollRunModel): PayrollRun {
  return {
    id: row.id, object: 'payroll_run', organizationId: row.organizationId, periodStart: row.periodStart, periodEnd: row.periodEnd, payDate: row.payDate,
    currency: row.currency, payFrom: row.payFrom, withholdings: row.withholdings, grossPay: row.grossPay, totalWithholdings: row.totalWithholdings, netPay: row.netPay,
    people: row.people, journalEntryId: row.journalEntryId, metadata: row.metadata, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
  };
}
