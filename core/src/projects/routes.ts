import { defineRoute, type Route } from '../http/route.js';
import type { MilestoneService } from './milestone-service.js';
import type { ProjectAction, ProjectService } from './project-service.js';
import type { TimeInvoicing } from './time-invoicing.js';

const org = '/v1/organizations/:orgId';
const project = `${org}/projects/:projectId`;
const projectId = (params: Record<string, string>): string => params['projectId'] ?? '';
const milestoneId = (params: Record<string, string>): string => params['milestoneId'] ?? '';

const ACTIONS: Array<{ action: ProjectAction; summary: string; description: string }> = [
  { action: 'start', summary: 'Start or resume a project', description: 'CREATED or PAUSED → STARTED (project.started).' },
  { action: 'pause', summary: 'Pause a project', description: 'STARTED → PAUSED (project.paused). A paused project still takes time entries.' },
  { action: 'complete', summary: 'Complete a project', description: 'STARTED or PAUSED → COMPLETED (project.completed). Its unbilled time can still be invoiced.' },
  { action: 'cancel', summary: 'Cancel a project', description: 'CREATED, STARTED or PAUSED → CANCELLED (project.cancelled).' },
];

export function createProjectRoutes(deps: { projects: ProjectService; milestones: MilestoneService; timeInvoicing: TimeInvoicing }): Route[] {
  const { projects, milestones, timeInvoicing } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/projects`, operationId: 'createProject', tag: 'Projects', summary: 'Create a project',
      description: 'A project for a customer in CREATED (project.created); its currency defaults to the customer\'s. 422 for an unknown or deactivated customer.',
      body: 'ProjectCreate', response: { status: 201, schema: 'Project' }, errors: [422],
      handler: ({ organizationId, body, actor }) => projects.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/projects`, operationId: 'listProjects', tag: 'Projects', summary: 'List projects',
      query: 'ProjectListQuery', response: { status: 200, list: 'Project' },
      handler: ({ organizationId, query }) => projects.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: project, operationId: 'getProject', tag: 'Projects', summary: 'Get a project',
      response: { status: 200, schema: 'Project' },
      handler: ({ organizationId, params }) => projects.get(organizationId, projectId(params)),
    }),
    ...ACTIONS.map(({ action, summary, description }) => defineRoute({
      method: 'POST', path: `${project}/${action}`, operationId: `${action}Project`, tag: 'Projects', summary,
      description: `${description} Any other status: 409 INVALID_STATE_TRANSITION, nothing written.`,
      response: { status: 200, schema: 'Project' }, errors: [409],
      handler: ({ organizationId, params, actor }) => projects.transition(organizationId, projectId(params), action, actor.eventMetadata),
    })),
    defineRoute({
      method: 'POST', path: `${project}/invoice-time`, operationId: 'invoiceProjectTime', tag: 'Projects', summary: 'Invoice the unbilled time of a project',
      description: 'Creates and issues one invoice for the billable time entries not yet billed (up to `through`), and marks each entry billed by it, in one transaction: an entry is billed once. One line per person and rate (quantity 1, the sum of the entries\' amounts), credited to service revenue. 422 when there is nothing to bill.',
      body: 'ProjectTimeInvoice', response: { status: 201, schema: 'Invoice' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => timeInvoicing.invoiceTime(organizationId, projectId(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${project}/milestones`, operationId: 'createMilestone', tag: 'Projects', summary: 'Add a milestone to a project',
      description: 'In the project\'s currency (milestone.created); the project must be CREATED, STARTED or PAUSED (409 PROJECT_NOT_ACTIVE otherwise).',
      body: 'MilestoneCreate', response: { status: 201, schema: 'Milestone' }, errors: [409],
      handler: ({ organizationId, params, body, actor }) => milestones.create(organizationId, projectId(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${project}/milestones`, operationId: 'listMilestones', tag: 'Projects', summary: 'List the milestones of a project',
      query: 'MilestoneListQuery', response: { status: 200, list: 'Milestone' },
      handler: ({ organizationId, params, query }) => milestones.list(organizationId, projectId(params), query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/milestones/:milestoneId`, operationId: 'getMilestone', tag: 'Projects', summary: 'Get a milestone',
      response: { status: 200, schema: 'Milestone' },
      handler: ({ organizationId, params }) => milestones.get(organizationId, milestoneId(params)),
    }),
    defineRoute({
      method: 'POST', path: `${org}/milestones/:milestoneId/invoice`, operationId: 'invoiceMilestone', tag: 'Projects', summary: 'Bill a milestone in advance',
      description: 'Creates and issues an invoice for part or all of a PENDING milestone and defers its revenue (Dr service revenue / Cr deferred revenue), in one transaction (milestone.billed). Never more than the milestone\'s amount in all (422).',
      body: 'MilestoneInvoice', response: { status: 200, schema: 'Milestone' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor }) => milestones.invoice(organizationId, milestoneId(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${org}/milestones/:milestoneId/complete`, operationId: 'completeMilestone', tag: 'Projects', summary: 'Complete a milestone',
      description: 'PENDING → COMPLETED (milestone.completed) on a STARTED or PAUSED project, optionally billing it first; then what was billed for it is recognised: Dr deferred revenue / Cr service revenue (revenue.recognized). One transaction.',
      body: 'MilestoneComplete', response: { status: 200, schema: 'Milestone' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor }) => milestones.complete(organizationId, milestoneId(params), body, actor.eventMetadata),
    }),
  ];
}
