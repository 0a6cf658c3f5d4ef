import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { LedgerService } from '../ledger/service.js';
import type { InvoiceService } from '../sales/invoice-service.js';
import type { Route } from '../http/route.js';
import { createMilestoneService, type MilestoneService } from './milestone-service.js';
import { createPayrollService, type PayrollService } from './payroll.js';
import { createProjectService, type ProjectService } from './project-service.js';
import { createProjectRoutes } from './routes.js';
import { createTimeInvoicing, type TimeInvoicing } from './time-invoicing.js';
import { createTimeRoutes } from './time-routes.js';
import { createTimeService, type TimeService } from './time-service.js';

export interface ProjectsDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: Pick<CustomerService, 'requireActive'>;
  ledger: Pick<LedgerService, 'post'>;
  invoices: Pick<InvoiceService, 'createIssued'>;
}

export interface Projects {
  projects: ProjectService;
  milestones: MilestoneService;
  time: TimeService;
  timeInvoicing: TimeInvoicing;
  payroll: PayrollService;
  routes: Route[];
}

/** The projects context: projects, milestones and their revenue, time and timesheets, payroll. */
export function createProjects(deps: ProjectsDeps): Projects {
  const projects = createProjectService(deps);
  const milestones = createMilestoneService({ ...deps, projects });
  const time = createTimeService({ ...deps, projects });
  const timeInvoicing = createTimeInvoicing({ ...deps, projects });
  const payroll = createPayrollService(deps);
  const routes = [...createProjectRoutes({ projects, milestones, timeInvoicing }), ...createTimeRoutes({ time, payroll })];
  return { projects, milestones, time, timeInvoicing, payroll, routes };
}
