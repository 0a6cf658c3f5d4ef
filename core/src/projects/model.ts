import type { Pojo } from 'objection';
import type { CurrencyCode, Milestone, PayrollRun, Project, Timesheet } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';
import { dateOnly } from '../sales/dates.js';

/** Reads `date` columns back as `YYYY-MM-DD` strings, whichever driver returned them. */
function parseDates(json: Pojo, columns: readonly string[]): Pojo {
  for (const column of columns) {
    const value: unknown = json[column];
    if (value instanceof Date || typeof value === 'string') json[column] = dateOnly(value);
  }
  return json;
}

export class ProjectModel extends TenantModel {
  static override tableName = 'projects';
  static override jsonAttributes = ['metadata'];
  id!: string;
  customerId!: string;
  name!: string;
  description!: string | null;
  status!: Project['status'];
  currency!: CurrencyCode;
  budget!: number | null;
  startDate!: string | null;
  endDate!: string | null;
  startedAt!: Date | null;
  pausedAt!: Date | null;
  completedAt!: Date | null;
  cancelledAt!: Date | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['startDate', 'endDate']);
  }
}

export class MilestoneModel extends TenantModel {
  static override tableName = 'milestones';
  // Arrays are only stored as jsonb when named here (objection would send them as PostgreSQL arrays).
  static override jsonAttributes = ['invoices', 'metadata'];
  id!: string;
  projectId!: string;
  name!: string;
  amount!: number;
  currency!: CurrencyCode;
  dueDate!: string | null;
  status!: Milestone['status'];
  completedOn!: string | null;
  amountBilled!: number;
  amountRecognized!: number;
  invoices!: Milestone['invoices'];
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['dueDate', 'completedOn']);
  }
}

export class TimesheetModel extends TenantModel {
  static override tableName = 'timesheets';
  id!: string;
  personId!: string;
  week!: string;
  weekStart!: string;
  weekEnd!: string;
  status!: Timesheet['status'];
  totalMinutes!: number;
  billableMinutes!: number;
  submittedAt!: Date | null;
  payrollRunId!: string | null;
  createdAt!: Date;
  updatedAt!: Date;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['weekStart', 'weekEnd']);
  }
}

export class TimeEntryModel extends TenantModel {
  static override tableName = 'time_entries';
  static override jsonAttributes = ['metadata'];
  id!: string;
  projectId!: string;
  timesheetId!: string;
  personId!: string;
  date!: string;
  minutes!: number;
  billable!: boolean;
  rate!: number;
  currency!: CurrencyCode;
  amount!: number;
  description!: string | null;
  invoiceId!: string | null;
  billedAt!: Date | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['date']);
  }
}

export class PayrollRunModel extends TenantModel {
  static override tableName = 'payroll_runs';
  static override jsonAttributes = ['withholdings', 'people', 'metadata'];
  id!: string;
  periodStart!: string;
  periodEnd!: string;
  payDate!: string;
  currency!: CurrencyCode;
  payFrom!: PayrollRun['payFrom'];
  withholdings!: PayrollRun['withholdings'];
  people!: PayrollRun['people'];
  grossPay!: number;
  totalWithholdings!: number;
  netPay!: number;
  journalEntryId!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;

  override $parseDatabaseJson(json: Pojo): Pojo {
    return parseDates(super.$parseDatabaseJson(json), ['periodStart', 'periodEnd', 'payDate']);
  }
}
