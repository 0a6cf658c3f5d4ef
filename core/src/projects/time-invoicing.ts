import type { Knex } from 'knex';
import type { EventMetadata, Invoice, ProjectTimeInvoice, SalesLineInput } from '@uah/schemas';
import { conflict, unprocessable } from '../http/errors.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { InvoiceService } from '../sales/invoice-service.js';
import type { ProjectService } from './project-service.js';
import { TimeEntryModel } from './model.js';

const ANY_STATUS = ['CREATED', 'STARTED', 'PAUSED', 'COMPLETED', 'CANCELLED'] as const;

/** `2h05` */
const hours = (minutes: number): string => `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}`;

/** One invoice line per person and rate: quantity 1 at the sum of the entries' (already rounded) amounts. */
export function timeLines(entries: Array<Pick<TimeEntryModel, 'personId' | 'rate' | 'minutes' | 'amount'>>, taxRateId: string | null): SalesLineInput[] {
  const groups = new Map<string, { personId: string; rate: number; minutes: number; amount: number }>();
  for (const e of entries) {
    const key = JSON.stringify([e.personId, e.rate]);
    const group = groups.get(key) ?? { personId: e.personId, rate: e.rate, minutes: 0, amount: 0 };
    group.minutes += e.minutes;
    group.amount += e.amount;
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({ description: `Time: ${g.personId}, ${hours(g.minutes)} at ${g.rate} per hour`, quantity: '1', unitPrice: g.amount, taxRateId }));
}

export interface TimeInvoicing {
  /** Bills the project's unbilled billable time in one issued invoice; the entries' billed mark commits with it. */
  invoiceTime(organizationId: string, projectId: string, input: ProjectTimeInvoice, meta: EventMetadata): Promise<Invoice>;
  /** In the void's transaction: the entries a voided invoice billed become unbilled (the database allows it for a voided invoice only). */
  release(trx: Knex.Transaction, invoice: Invoice): Promise<number>;
}

export function createTimeInvoicing(deps: {
  knex: Knex;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  projects: Pick<ProjectService, 'require'>;
  invoices: Pick<InvoiceService, 'createIssued'>;
}): TimeInvoicing {
  const { knex } = deps;
  return {
    release: async (trx, invoice) => await TimeEntryModel.forOrganization(invoice.organizationId, trx).where('invoice_id', invoice.id).patch({ invoiceId: null, billedAt: null, updatedAt: new Date() } as Partial<TimeEntryModel>),

    async invoiceTime(organizationId, projectId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const project = await deps.projects.require(trx, organizationId, projectId, [...ANY_STATUS]);
        // Locked: a concurrent run waits, then no longer sees these rows as unbilled.
        const q = TimeEntryModel.forOrganization(organizationId, trx).where({ project_id: projectId, billable: true }).whereNull('invoice_id').orderBy('id').forUpdate();
        if (input.through) q.where('date', '<=', input.through);
        const entries = await q;
        if (entries.length === 0) throw unprocessable(`Project ${projectId} has no unbilled billable time${input.through ? ` up to ${input.through}` : ''}.`);
        const invoice = await deps.invoices.createIssued(trx, organizationId, baseCurrency, {
          draft: {
            customerId: project.customerId, currency: project.currency, lines: timeLines(entries, input.taxRateId ?? null), metadata: { projectId },
            ...(input.issueDate ? { issueDate: input.issueDate } : {}), ...(input.dueDate ? { dueDate: input.dueDate } : {}), ...(input.exchangeRate ? { exchangeRate: input.exchangeRate } : {}),
          },
          issue: {},
        }, meta);
        const billed = await TimeEntryModel.forOrganization(organizationId, trx).whereIn('id', entries.map((e) => e.id)).whereNull('invoice_id').patch({ invoiceId: invoice.id, billedAt: new Date(), updatedAt: new Date() } as Partial<TimeEntryModel>);
        if (billed !== entries.length) throw conflict('Some of the time entries were billed by another request meanwhile; nothing was invoiced.');
        return invoice;
      });
    },
  };
}
