import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, Invoice, Milestone, MilestoneComplete, MilestoneCreate, MilestoneInvoice, MilestoneListQuery, RevenueRecognized } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { LedgerService } from '../ledger/service.js';
import type { InvoiceService } from '../sales/invoice-service.js';
import { changedAttributes } from '../catalog/changes.js';
import { todayUtc } from '../sales/dates.js';
import { ACTIVE, type ProjectService } from './project-service.js';
import { toMilestone } from './mappers.js';
import { MilestoneModel, ProjectModel } from './model.js';

/**
 * Milestones and their revenue. Method: a milestone's revenue is earned when it is completed. What is
 * billed for it before then is deferred: the invoice posts Dr receivables / Cr service revenue (as every
 * free-text invoice line does) and, in the same transaction, Dr service revenue / Cr deferred revenue.
 * Completing the milestone recognises everything billed for it: Dr deferred revenue / Cr service revenue
 * on the completion date (`revenue.recognized`). So deferred revenue always equals what milestones have
 * billed and not yet recognised, and a completed milestone holds nothing deferred. A completed milestone
 * takes no more billing; milestones bill in the organization's base currency.
 */
export interface MilestoneService {
  create(organizationId: string, projectId: string, input: MilestoneCreate, meta: EventMetadata): Promise<Milestone>;
  get(organizationId: string, id: string): Promise<Milestone>;
  list(organizationId: string, projectId: string, query: MilestoneListQuery): Promise<Page<Milestone>>;
  /** Bills part or all of a PENDING milestone in advance (to deferred revenue). */
  invoice(organizationId: string, id: string, input: MilestoneInvoice, meta: EventMetadata): Promise<Milestone>;
  complete(organizationId: string, id: string, input: MilestoneComplete, meta: EventMetadata): Promise<Milestone>;
  /**
   * In the void's transaction: takes back the billing of a voided invoice. Before completion its deferral
   * is reversed (the void reversed the revenue it credited); after, what was recognised for it goes with it.
   */
  release(trx: Knex.Transaction, invoice: Invoice, meta: EventMetadata): Promise<void>;
}

export interface MilestoneDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  ledger: Pick<LedgerService, 'post' | 'reverse'>;
  invoices: Pick<InvoiceService, 'createIssued'>;
  projects: Pick<ProjectService, 'require'>;
}

const OPEN_PROJECT = ['CREATED', 'STARTED', 'PAUSED'] as const;

export function createMilestoneService(deps: MilestoneDeps): MilestoneService {
  const { knex, events, ledger } = deps;
  const lock = (trx: Knex.Transaction, organizationId: string, id: string) => MilestoneModel.findInOrganization(organizationId, id, 'milestone', trx, { forUpdate: true });

  /** Invoices `input.amount` (default: what is left to bill) and defers it; returns the milestone's new billing figures. */
  async function bill(trx: Knex.Transaction, row: MilestoneModel, project: ProjectModel, baseCurrency: CurrencyCode, input: MilestoneInvoice, meta: EventMetadata): Promise<Partial<MilestoneModel>> {
    if (project.currency !== baseCurrency) throw unprocessable(`Project ${project.id} is in ${project.currency}: milestones bill in the base currency ${baseCurrency} only.`);
    const left = row.amount - row.amountBilled;
    const amount = input.amount ?? left;
    if (amount <= 0 || amount > left) {
      throw unprocessable(`Milestone ${row.id} has ${left} left to bill of its ${row.amount}: ${amount} cannot be billed.`, [{ field: '/amount', in: 'body', message: `at most ${left}` }]);
    }
    const invoice = await deps.invoices.createIssued(trx, row.organizationId, baseCurrency, {
      draft: {
        customerId: project.customerId, currency: project.currency, metadata: { projectId: project.id, milestoneId: row.id },
        lines: [{ description: `${project.name}: ${row.name}`, quantity: '1', unitPrice: amount, taxRateId: input.taxRateId ?? null }],
        ...(input.issueDate ? { issueDate: input.issueDate } : {}), ...(input.dueDate ? { dueDate: input.dueDate } : {}),
      },
      issue: {},
    }, meta);
    const deferral = await ledger.post(trx, row.organizationId, {
      date: invoice.issueDate, currency: project.currency, memo: `Deferral of milestone "${row.name}" billed on invoice ${invoice.number}`, source: { type: 'milestone', id: row.id },
      lines: [{ account: { key: 'service_revenue' }, direction: 'DEBIT', amount }, { account: { key: 'deferred_revenue' }, direction: 'CREDIT', amount }],
    }, meta);
    return { amountBilled: row.amountBilled + amount, invoices: [...row.invoices, { invoiceId: invoice.id, amount, date: invoice.issueDate, deferralEntryId: deferral.id }] };
  }

  async function change(trx: Knex.Transaction, row: MilestoneModel, patch: Partial<MilestoneModel>): Promise<{ before: Milestone; after: Milestone }> {
    const before = toMilestone(row);
    const after = toMilestone(await MilestoneModel.forOrganization(row.organizationId, trx).patchAndFetchById(row.id, { ...patch, updatedAt: new Date() }));
    return { before, after };
  }

  /** Moves what is billed and not recognised to revenue on `date`; null when nothing is deferred. */
  async function recognize(trx: Knex.Transaction, row: MilestoneModel, billed: number, date: string, meta: EventMetadata): Promise<RevenueRecognized | null> {
    const amount = billed - row.amountRecognized;
    if (amount === 0) return null;
    const entry = await ledger.post(trx, row.organizationId, {
      date, currency: row.currency, memo: `Revenue of milestone "${row.name}" recognised on completion`, source: { type: 'milestone', id: row.id },
      lines: [{ account: { key: 'deferred_revenue' }, direction: 'DEBIT', amount }, { account: { key: 'service_revenue' }, direction: 'CREDIT', amount }],
    }, meta);
    return { object: 'revenue_recognition', milestoneId: row.id, projectId: row.projectId, amount, currency: row.currency, date, journalEntryId: entry.id };
  }

  return {
    async create(organizationId, projectId, input, meta) {
      return knex.transaction(async (trx) => {
        const project = await deps.projects.require(trx, organizationId, projectId, [...OPEN_PROJECT]);
        const row = await MilestoneModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('ms'), organizationId, projectId, name: input.name, amount: input.amount, currency: project.currency, dueDate: input.dueDate ?? null,
          status: 'PENDING', completedOn: null, amountBilled: 0, amountRecognized: 0, invoices: [], metadata: input.metadata ?? {},
        } as Partial<MilestoneModel>);
        const milestone = toMilestone(row);
        await events.append(trx, [{ type: 'milestone.created', aggregateType: 'milestone', aggregateId: milestone.id, organizationId, data: { object: milestone } }], meta);
        return milestone;
      });
    },

    async get(organizationId, id) {
      return toMilestone(await MilestoneModel.findInOrganization(organizationId, id, 'milestone', knex));
    },

    async list(organizationId, projectId, query) {
      await ProjectModel.findInOrganization(organizationId, projectId, 'project', knex);
      const q = MilestoneModel.forOrganization(organizationId, knex).where('project_id', projectId);
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toMilestone);
    },

    async invoice(organizationId, id, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const row = await lock(trx, organizationId, id);
        if (row.status !== 'PENDING') throw new AppError('INVALID_STATE_TRANSITION', `Milestone ${id} is ${row.status}: only a PENDING milestone is billed in advance.`);
        const project = await deps.projects.require(trx, organizationId, row.projectId, [...OPEN_PROJECT]);
        const { before, after } = await change(trx, row, await bill(trx, row, project, baseCurrency, input, meta));
        await events.append(trx, [{ type: 'milestone.billed', aggregateType: 'milestone', aggregateId: id, organizationId, data: { object: after, previousAttributes: changedAttributes(before, after) } }], meta);
        return after;
      });
    },

    async release(trx, invoice, meta) {
      const organizationId = invoice.organizationId;
      const found = await MilestoneModel.forOrganization(organizationId, trx).whereRaw('invoices @> ?::jsonb', [JSON.stringify([{ invoiceId: invoice.id }])]).first();
      if (!found) return;
      const row = await lock(trx, organizationId, found.id);
      const billing = row.invoices.find((i) => i.invoiceId === invoice.id);
      if (!billing) return;
      if (row.status === 'PENDING') await ledger.reverse(trx, organizationId, billing.deferralEntryId, { memo: `Voided invoice ${invoice.number ?? invoice.id}: deferral of milestone "${row.name}" reversed` }, meta);
      const recognized = row.status === 'COMPLETED' ? billing.amount : 0;
      const { before, after } = await change(trx, row, { amountBilled: row.amountBilled - billing.amount, amountRecognized: row.amountRecognized - recognized, invoices: row.invoices.filter((i) => i !== billing) });
      await events.append(trx, [{ type: 'milestone.updated', aggregateType: 'milestone', aggregateId: row.id, organizationId, data: { object: after, previousAttributes: changedAttributes(before, after) } }], meta);
    },

    async complete(organizationId, id, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      const date = input.date ?? todayUtc();
      return knex.transaction(async (trx) => {
        const row = await lock(trx, organizationId, id);
        if (row.status !== 'PENDING') throw new AppError('INVALID_STATE_TRANSITION', `Milestone ${id} is ${row.status}: only a PENDING milestone can be completed.`);
        const project = await deps.projects.require(trx, organizationId, row.projectId, ACTIVE);
        const billing = input.invoice ? await bill(trx, row, project, baseCurrency, input.invoice, meta) : {};
        const invoices = billing.invoices ?? row.invoices;
        const lastBilled = invoices.reduce((max, i) => (i.date > max ? i.date : max), '');
        if (date < lastBilled) throw unprocessable(`The completion date ${date} is before the milestone was billed (${lastBilled}).`, [{ field: '/date', in: 'body', message: 'before the last billing' }]);
        const billed = billing.amountBilled ?? row.amountBilled;
        const recognition = await recognize(trx, row, billed, date, meta);
        const { before, after } = await change(trx, row, { ...billing, status: 'COMPLETED', completedOn: date, amountRecognized: billed });
        const base = { aggregateType: 'milestone', aggregateId: id, organizationId } as const;
        await events.append(trx, [
          { ...base, type: 'milestone.completed', data: { object: after, previousAttributes: changedAttributes(before, after) } },
          ...(recognition ? [{ ...base, type: 'revenue.recognized' as const, data: { object: recognition } }] : []),
        ], meta);
        return after;
      });
    },
  };
}
