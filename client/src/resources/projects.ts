import type {
  Invoice, Milestone, MilestoneComplete, MilestoneCreate, MilestoneInvoice, MilestoneListQuery, PayrollRun, PayrollRunCreate, PayrollRunListQuery,
  Project, ProjectCreate, ProjectListQuery, ProjectTimeInvoice, TimeEntry, TimeEntryCreate, TimeEntryListQuery, Timesheet, TimesheetListQuery,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/**
 * Projects: CREATED → STARTED ↔ PAUSED → COMPLETED | CANCELLED; any other move is a 409
 * `INVALID_STATE_TRANSITION`. Milestones bill a fixed amount (deferred until completed); time is billed
 * once through `invoiceTime`.
 */
export interface ProjectsResource {
  create(body: ProjectCreate, options?: RequestOptions): Promise<Project>;
  get(id: string, options?: RequestOptions): Promise<Project>;
  list(query?: ProjectListQuery, options?: RequestOptions): Promise<Page<Project>>;
  iterate(query?: Omit<ProjectListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Project>;
  /** CREATED or PAUSED → STARTED. */
  start(id: string, options?: RequestOptions): Promise<Project>;
  pause(id: string, options?: RequestOptions): Promise<Project>;
  complete(id: string, options?: RequestOptions): Promise<Project>;
  cancel(id: string, options?: RequestOptions): Promise<Project>;
  /** One issued invoice for the project's unbilled billable time; each entry is billed once. */
  invoiceTime(id: string, body?: ProjectTimeInvoice, options?: RequestOptions): Promise<Invoice>;
  createMilestone(id: string, body: MilestoneCreate, options?: RequestOptions): Promise<Milestone>;
  listMilestones(id: string, query?: MilestoneListQuery, options?: RequestOptions): Promise<Page<Milestone>>;
}

export interface MilestonesResource {
  get(id: string, options?: RequestOptions): Promise<Milestone>;
  /** Bills part or all of a PENDING milestone in advance; its revenue is deferred until completion. */
  invoice(id: string, body?: MilestoneInvoice, options?: RequestOptions): Promise<Milestone>;
  /** Completes it (billing it first with `body.invoice`) and recognises what was billed for it. */
  complete(id: string, body?: MilestoneComplete, options?: RequestOptions): Promise<Milestone>;
}

export interface TimeEntriesResource {
  /** 409 `TIMESHEET_LOCKED` when the person's timesheet for that week is submitted. */
  create(body: TimeEntryCreate, options?: RequestOptions): Promise<TimeEntry>;
  get(id: string, options?: RequestOptions): Promise<TimeEntry>;
  list(query?: TimeEntryListQuery, options?: RequestOptions): Promise<Page<TimeEntry>>;
  iterate(query?: Omit<TimeEntryListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<TimeEntry>;
}

export interface TimesheetsResource {
  get(id: string, options?: RequestOptions): Promise<Timesheet>;
  list(query?: TimesheetListQuery, options?: RequestOptions): Promise<Page<Timesheet>>;
  /** OPEN → SUBMITTED: the week is locked and can be paid by a payroll run. */
  submit(id: string, options?: RequestOptions): Promise<Timesheet>;
}

export interface PayrollRunsResource {
  /** Pays the submitted, unpaid timesheets whose week ends in the period. */
  create(body: PayrollRunCreate, options?: RequestOptions): Promise<PayrollRun>;
  get(id: string, options?: RequestOptions): Promise<PayrollRun>;
  list(query?: PayrollRunListQuery, options?: RequestOptions): Promise<Page<PayrollRun>>;
}

export function createProjectsResource(c: ResourceContext): ProjectsResource {
  const base = (): string => `${c.org()}/projects`;
  const step = (action: string) => (projectId: string, o?: RequestOptions): Promise<Project> => c.post(`${base()}/${c.id(projectId)}/${action}`, undefined, o);
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    start: step('start'),
    pause: step('pause'),
    complete: step('complete'),
    cancel: step('cancel'),
    invoiceTime: (id, body, o) => c.post(`${base()}/${c.id(id)}/invoice-time`, body ?? {}, o),
    createMilestone: (id, body, o) => c.post(`${base()}/${c.id(id)}/milestones`, body, o),
    listMilestones: (id, query, o) => c.get(`${base()}/${c.id(id)}/milestones`, query, o),
  };
}

export function createMilestonesResource(c: ResourceContext): MilestonesResource {
  const base = (): string => `${c.org()}/milestones`;
  return {
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    invoice: (id, body, o) => c.post(`${base()}/${c.id(id)}/invoice`, body ?? {}, o),
    complete: (id, body, o) => c.post(`${base()}/${c.id(id)}/complete`, body ?? {}, o),
  };
}

export function createTimeEntriesResource(c: ResourceContext): TimeEntriesResource {
  const base = (): string => `${c.org()}/time-entries`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
  };
}

export function createTimesheetsResource(c: ResourceContext): TimesheetsResource {
  const base = (): string => `${c.org()}/timesheets`;
  return {
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    submit: (id, o) => c.post(`${base()}/${c.id(id)}/submit`, undefined, o),
  };
}

export function createPayrollRunsResource(c: ResourceContext): PayrollRunsResource {
  const base = (): string => `${c.org()}/payroll-runs`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
  };
}
