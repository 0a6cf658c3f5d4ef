import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, Invoice, InvoiceCreate, InvoiceDryRun, InvoiceIssue, InvoiceListQuery, InvoiceSend, InvoiceUpdate, InvoiceVoid } from '@uah/schemas';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import type { Mailer } from '../mail/mailer.js';
import { createInvoiceDelivery } from './invoice-delivery.js';
import { createInvoiceDrafts, type InvoiceDrafts } from './invoice-drafts.js';
import { createInvoiceIssuing } from './invoice-issue.js';
import { createInvoiceSettlement, type InvoiceSettlement } from './invoice-settlement.js';
import { createInvoiceStore, type InvoiceStore } from './invoice-store.js';
import type { LineResolver } from './line-resolver.js';
import { toInvoice } from './mappers.js';
import { InvoiceModel } from './model.js';
import type { InvoiceInventory } from '../inventory/service.js';
import type { InvoiceSettingsService } from './numbering.js';

export interface InvoiceService {
  create(organizationId: string, input: InvoiceCreate, meta: EventMetadata): Promise<Invoice>;
  /** `create` as a dry run: the invoice it would make and the events, nothing written. */
  previewCreate(organizationId: string, input: InvoiceCreate, meta: EventMetadata): Promise<InvoiceDryRun>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Invoice>;
  /** The invoices of the organization among `ids` (unknown ids are left out), in id order; one query (reports). */
  getMany(organizationId: string, ids: string[]): Promise<Invoice[]>;
  list(organizationId: string, query: InvoiceListQuery): Promise<Page<Invoice>>;
  /** Changes a DRAFT (409 INVALID_STATE_TRANSITION once issued). */
  update(organizationId: string, id: string, input: InvoiceUpdate, meta: EventMetadata): Promise<Invoice>;
  /** Numbers and posts a DRAFT: Dr receivables / Cr revenue per account / Cr tax per tax account. */
  issue(organizationId: string, id: string, input: InvoiceIssue, meta: EventMetadata): Promise<Invoice>;
  previewIssue(organizationId: string, id: string, input: InvoiceIssue, meta: EventMetadata): Promise<InvoiceDryRun>;
  view(organizationId: string, id: string, meta: EventMetadata): Promise<Invoice>;
  void(organizationId: string, id: string, input: InvoiceVoid, meta: EventMetadata): Promise<Invoice>;
  send(organizationId: string, id: string, input: InvoiceSend, meta: EventMetadata): Promise<Invoice>;
  pdf(organizationId: string, id: string): Promise<{ invoice: Invoice; pdf: Buffer }>;
  /** The overdue job: open invoices due before `asOf` become OVERDUE with `invoice.overdue` (every organization). */
  markOverdue(asOf: string): Promise<Invoice[]>;

  // Used by payments, in the payment's transaction: lock the invoice, update amountPaid/balance/status, emit events.
  /** `invoice.partially_paid` or `invoice.paid`; 422 if DRAFT/CANCELLED, PAYMENT_EXCEEDS_BALANCE if amount > balance. */
  applyPayment(trx: Knex.Transaction, organizationId: string, invoiceId: string, amount: number, meta: EventMetadata): Promise<Invoice>;
  /** Takes back part of what was paid (refunds): the invoice reopens, `invoice.updated`. */
  unapplyPayment(trx: Knex.Transaction, organizationId: string, invoiceId: string, amount: number, meta: EventMetadata): Promise<Invoice>;
  getForUpdate(trx: Knex.Transaction, organizationId: string, invoiceId: string): Promise<Invoice>;
  /** Issued, not cancelled, balance > 0, issued on or before `asOf` (AR aging, the receivables check). */
  listOpen(organizationId: string, asOf: string): Promise<Invoice[]>;
  /**
   * Creates a draft and issues it in the CALLER's transaction, for documents of other contexts that invoice
   * as part of their own change (projects). `baseCurrency` is read by the caller before its transaction.
   */
  createIssued(trx: Knex.Transaction, organizationId: string, baseCurrency: CurrencyCode, input: { draft: InvoiceCreate; issue: InvoiceIssue }, meta: EventMetadata): Promise<Invoice>;
}

export interface InvoiceDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: CustomerService;
  ledger: LedgerService;
  taxRates: TaxRateService;
  settings: InvoiceSettingsService;
  lines: LineResolver;
  mailer: Mailer;
  compressPdf?: boolean;
  inventory?: InvoiceInventory;
}

/** The parts the other sales services (quotes, credit notes) build on. */
export interface InvoiceInternals {
  store: InvoiceStore;
  drafts: InvoiceDrafts;
  settlement: InvoiceSettlement;
}

export function createInvoiceService(deps: InvoiceDeps): { invoices: InvoiceService; internals: InvoiceInternals } {
  const { knex } = deps;
  const store = createInvoiceStore(deps.events);
  const drafts = createInvoiceDrafts({ ...deps, store });
  const issuing = createInvoiceIssuing({ ...deps, store });
  const settlement = createInvoiceSettlement({ knex, store });
  const delivery = createInvoiceDelivery({ ...deps, store, issuing });
  const dryRun = (result: Omit<InvoiceDryRun, 'object' | 'dryRun'>): InvoiceDryRun => ({ object: 'invoice_dry_run', dryRun: true, ...result });

  const invoices: InvoiceService = {
    create: drafts.create,
    previewCreate: async (organizationId, input, meta) => dryRun(await drafts.preview(organizationId, input, meta)),
    async get(organizationId, id, trx) {
      return toInvoice(await store.find(organizationId, id, trx ?? knex));
    },
    async getMany(organizationId, ids) {
      if (ids.length === 0) return [];
      return (await InvoiceModel.forOrganization(organizationId, knex).whereIn('id', ids).orderBy('id')).map(toInvoice);
    },
    async list(organizationId, query) {
      const q = InvoiceModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      if (query.customerId) q.where('customer_id', query.customerId);
      if (query.number) q.where('number', query.number);
      if (query.issuedFrom) q.where('issue_date', '>=', query.issuedFrom);
      if (query.issuedTo) q.where('issue_date', '<=', query.issuedTo);
      return fetchPage(q, query, toInvoice);
    },
    update: drafts.update,
    issue: issuing.issue,
    previewIssue: async (organizationId, id, input, meta) => dryRun(await issuing.previewIssue(organizationId, id, input, meta)),
    view: settlement.view,
    void: issuing.void,
    send: delivery.send,
    pdf: delivery.pdf,
    markOverdue: settlement.markOverdue,
    applyPayment: settlement.applyPayment,
    unapplyPayment: settlement.unapplyPayment,
    async getForUpdate(trx, organizationId, invoiceId) {
      return toInvoice(await store.lock(organizationId, invoiceId, trx));
    },
    listOpen: settlement.listOpen,
    async createIssued(trx, organizationId, baseCurrency, input, meta) {
      const draft = await drafts.createIn(trx, organizationId, baseCurrency, input.draft, meta);
      return issuing.issueIn(trx, organizationId, baseCurrency, draft.id, input.issue, meta);
    },
  };
  return { invoices, internals: { store, drafts, settlement } };
}
