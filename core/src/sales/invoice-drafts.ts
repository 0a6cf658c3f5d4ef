import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, Invoice, InvoiceCreate, InvoiceUpdate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { CustomerService } from '../customers/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import { mergeMetadata } from '../customers/service.js';
import { addDays, todayUtc } from './dates.js';
import type { LineResolver } from './line-resolver.js';
import type { InvoiceSettingsService } from './numbering.js';
import { toInvoice } from './mappers.js';
import { InvoiceModel } from './model.js';
import { invalidTransition, type InvoiceStore } from './invoice-store.js';

/** Everything a new draft invoice holds: the invoice's own fields, as its schema defines them. */
export type DraftValues = Pick<
  Invoice,
  'customerId' | 'currency' | 'exchangeRate' | 'issueDate' | 'dueDate' | 'lines' | 'taxes' | 'subtotal' | 'discountTotal' | 'taxTotal' | 'total' | 'notes' | 'quoteId' | 'metadata'
>;

export interface DraftDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: Pick<CustomerService, 'requireActive'>;
  settings: InvoiceSettingsService;
  lines: LineResolver;
  store: InvoiceStore;
}

/** A document names a customer in its body: an unknown one (or another organization's) is a 422 on that field. */
export async function requireCustomer(customers: DraftDeps['customers'], organizationId: string, customerId: string, trx: Knex.Transaction) {
  try {
    return await customers.requireActive(organizationId, customerId, trx);
  } catch (error) {
    if (error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'UNPROCESSABLE')) {
      throw unprocessable(error.message, [{ field: '/customerId', in: 'body', message: error.code === 'NOT_FOUND' ? 'no such customer in this organization' : 'customer is deactivated' }]);
    }
    throw error;
  }
}

/** A rate is only meaningful for a document in another currency than the organization's base. */
export function checkRate(currency: CurrencyCode, baseCurrency: CurrencyCode, rate: string | null | undefined): void {
  if (rate && currency === baseCurrency) {
    throw unprocessable(`The invoice is in the base currency ${baseCurrency}: it takes no exchange rate.`, [{ field: '/exchangeRate', in: 'body', message: 'only for a currency other than the base currency' }]);
  }
}

export function checkDates(issueDate: string, dueDate: string): void {
  if (dueDate < issueDate) throw unprocessable(`The due date ${dueDate} is before the issue date ${issueDate}.`, [{ field: '/dueDate', in: 'body', message: 'before the issue date' }]);
}

export function createInvoiceDrafts(deps: DraftDeps) {
  const { knex, store } = deps;

  async function prepare(trx: Knex.Transaction, organizationId: string, baseCurrency: CurrencyCode, input: InvoiceCreate): Promise<DraftValues> {
    const customer = await requireCustomer(deps.customers, organizationId, input.customerId, trx);
    const currency = input.currency ?? customer.currency;
    checkRate(currency, baseCurrency, input.exchangeRate);
    const issueDate = input.issueDate ?? todayUtc();
    const dueDate = input.dueDate ?? addDays(issueDate, input.paymentTermsDays ?? (await deps.settings.get(organizationId, trx)).paymentTermsDays);
    checkDates(issueDate, dueDate);
    const { lines, taxes, subtotal, discountTotal, taxTotal, total } = await deps.lines.resolve(organizationId, currency, input.lines, trx);
    return { customerId: customer.id, currency, exchangeRate: input.exchangeRate ?? null, issueDate, dueDate, lines, taxes, subtotal, discountTotal, taxTotal, total, notes: input.notes ?? null, quoteId: null, metadata: input.metadata ?? {} };
  }

  function draftRow(id: string, organizationId: string, values: DraftValues, now: Date): Partial<InvoiceModel> {
    const never = { issuedAt: null, sentAt: null, viewedAt: null, paidAt: null, voidedAt: null, journalEntryId: null };
    return { id, organizationId, status: 'DRAFT', number: null, ...values, amountPaid: 0, amountCredited: 0, balance: values.total, ...never, createdAt: now, updatedAt: now };
  }

  const drafts = {
    /** Inserts a DRAFT invoice and its `invoice.created` event in the caller's transaction. */
    async insert(trx: Knex.Transaction, organizationId: string, values: DraftValues, meta: EventMetadata): Promise<Invoice> {
      const row = await InvoiceModel.forOrganization(organizationId, trx).insertAndFetch(draftRow(newId('inv'), organizationId, values, new Date()));
      const invoice = toInvoice(row);
      await store.record(trx, 'invoice.created', invoice, meta);
      return invoice;
    },

    async create(organizationId: string, input: InvoiceCreate, meta: EventMetadata): Promise<Invoice> {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => drafts.createIn(trx, organizationId, baseCurrency, input, meta));
    },

    /** `create` in the caller's transaction. */
    async createIn(trx: Knex.Transaction, organizationId: string, baseCurrency: CurrencyCode, input: InvoiceCreate, meta: EventMetadata): Promise<Invoice> {
      return drafts.insert(trx, organizationId, await prepare(trx, organizationId, baseCurrency, input), meta);
    },

    /** What `create` would return and record, computed in a transaction that writes nothing. */
    async preview(organizationId: string, input: InvoiceCreate, meta: EventMetadata) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      const values = await knex.transaction(async (trx) => prepare(trx, organizationId, baseCurrency, input));
      const invoice = toInvoice(draftRow(newId('inv'), organizationId, values, new Date()) as InvoiceModel);
      const events = deps.events.preview([{ type: 'invoice.created', aggregateType: 'invoice', aggregateId: invoice.id, organizationId, data: { object: invoice } }], meta);
      return { invoice, journalEntry: null, events };
    },

    async update(organizationId: string, id: string, input: InvoiceUpdate, meta: EventMetadata): Promise<Invoice> {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const row = await store.lock(organizationId, id, trx);
        if (row.status !== 'DRAFT') throw invalidTransition('invoice', row.status, ['DRAFT']);
        const patch: Partial<InvoiceModel> = {};
        if (input.lines) Object.assign(patch, await deps.lines.resolve(organizationId, row.currency, input.lines, trx));
        if (input.exchangeRate !== undefined) {
          checkRate(row.currency, baseCurrency, input.exchangeRate);
          patch.exchangeRate = input.exchangeRate;
        }
        if (input.issueDate) patch.issueDate = input.issueDate;
        if (input.dueDate) patch.dueDate = input.dueDate;
        checkDates(patch.issueDate ?? row.issueDate, patch.dueDate ?? row.dueDate);
        if (input.notes !== undefined) patch.notes = input.notes;
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        if (patch.total !== undefined) patch.balance = patch.total;
        return store.change(trx, row, patch, 'invoice.updated', meta);
      });
    },
  };
  return drafts;
}

export type InvoiceDrafts = ReturnType<typeof createInvoiceDrafts>;
