import type { Knex } from 'knex';
import type { EventMetadata, EventType, Project, ProjectCreate, ProjectListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { CustomerService } from '../customers/service.js';
import { changedAttributes } from '../catalog/changes.js';
import { requireCustomer } from '../sales/invoice-drafts.js';
import { toProject } from './mappers.js';
import { ProjectModel } from './model.js';

export type ProjectAction = 'start' | 'pause' | 'complete' | 'cancel';

/** The status machine: CREATED → STARTED ↔ PAUSED → COMPLETED | CANCELLED. */
const TRANSITIONS: Record<ProjectAction, { from: Project['status'][]; to: Project['status']; event: EventType; stamp: 'startedAt' | 'pausedAt' | 'completedAt' | 'cancelledAt' }> = {
  start: { from: ['CREATED', 'PAUSED'], to: 'STARTED', event: 'project.started', stamp: 'startedAt' },
  pause: { from: ['STARTED'], to: 'PAUSED', event: 'project.paused', stamp: 'pausedAt' },
  complete: { from: ['STARTED', 'PAUSED'], to: 'COMPLETED', event: 'project.completed', stamp: 'completedAt' },
  cancel: { from: ['CREATED', 'STARTED', 'PAUSED'], to: 'CANCELLED', event: 'project.cancelled', stamp: 'cancelledAt' },
};

/** Statuses in which work is recorded on a project (time entries, milestone completion). */
export const ACTIVE: Project['status'][] = ['STARTED', 'PAUSED'];

export interface ProjectService {
  create(organizationId: string, input: ProjectCreate, meta: EventMetadata): Promise<Project>;
  get(organizationId: string, id: string): Promise<Project>;
  list(organizationId: string, query: ProjectListQuery): Promise<Page<Project>>;
  transition(organizationId: string, id: string, action: ProjectAction, meta: EventMetadata): Promise<Project>;
  /**
   * The project named in a request, share-locked in the caller's transaction (its status cannot change
   * until the transaction ends); 404 (or 422 on `field` when named in a body) if unknown, 409
   * PROJECT_NOT_ACTIVE when its status is not one of `statuses`.
   */
  require(trx: Knex.Transaction, organizationId: string, id: string, statuses: Project['status'][], field?: string): Promise<ProjectModel>;
}

export interface ProjectDeps {
  knex: Knex;
  events: EventStore;
  customers: Pick<CustomerService, 'requireActive'>;
}

export function createProjectService(deps: ProjectDeps): ProjectService {
  const { knex, events } = deps;
  const record = async (trx: Knex.Transaction, type: EventType, project: Project, meta: EventMetadata, previousAttributes?: Record<string, unknown>) => {
    const data = { object: project, ...(previousAttributes && Object.keys(previousAttributes).length > 0 ? { previousAttributes } : {}) };
    await events.append(trx, [{ type, aggregateType: 'project', aggregateId: project.id, organizationId: project.organizationId, data }], meta);
  };

  return {
    async create(organizationId, input, meta) {
      if (input.startDate && input.endDate && input.endDate < input.startDate) {
        throw unprocessable(`The end date ${input.endDate} is before the start date ${input.startDate}.`, [{ field: '/endDate', in: 'body', message: 'before the start date' }]);
      }
      return knex.transaction(async (trx) => {
        const customer = await requireCustomer(deps.customers, organizationId, input.customerId, trx);
        const row = await ProjectModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('proj'), organizationId, customerId: customer.id, name: input.name, description: input.description ?? null, status: 'CREATED',
          currency: input.currency ?? customer.currency, budget: input.budget ?? null, startDate: input.startDate ?? null, endDate: input.endDate ?? null, metadata: input.metadata ?? {},
        } as Partial<ProjectModel>);
        const project = toProject(row);
        await record(trx, 'project.created', project, meta);
        return project;
      });
    },

    async get(organizationId, id) {
      return toProject(await ProjectModel.findInOrganization(organizationId, id, 'project', knex));
    },

    async list(organizationId, query) {
      const q = ProjectModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      if (query.customerId) q.where('customer_id', query.customerId);
      return fetchPage(q, query, toProject);
    },

    async transition(organizationId, id, action, meta) {
      const rule = TRANSITIONS[action];
      return knex.transaction(async (trx) => {
        const row = await ProjectModel.findInOrganization(organizationId, id, 'project', trx, { forUpdate: true });
        if (!rule.from.includes(row.status)) {
          throw new AppError('INVALID_STATE_TRANSITION', `Project ${id} is ${row.status}: ${action} needs a ${rule.from.join(' or ')} project.`);
        }
        const before = toProject(row);
        const updated = await ProjectModel.forOrganization(organizationId, trx).patchAndFetchById(id, { status: rule.to, [rule.stamp]: new Date(), updatedAt: new Date() });
        const project = toProject(updated);
        await record(trx, rule.event, project, meta, changedAttributes(before, project));
        return project;
      });
    },

    async require(trx, organizationId, id, statuses, field) {
      const row = await ProjectModel.forOrganization(organizationId, trx).findById(id).forShare();
      if (!row) {
        if (field) throw unprocessable(`No project ${id} in this organization.`, [{ field, in: 'body', message: 'no such project in this organization' }]);
        throw new AppError('NOT_FOUND', `No project ${id} in this organization.`);
      }
      if (!statuses.includes(row.status)) {
        throw new AppError('PROJECT_NOT_ACTIVE', `Project ${id} is ${row.status}: this needs a ${statuses.join(' or ')} project.`);
      }
      return row;
    },
  };
}
