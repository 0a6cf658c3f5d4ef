import type {
  CreditNote,
  CreditNoteCreate,
  CreditNoteListQuery,
  Invoice,
  InvoiceCreate,
  InvoiceDryRun,
  InvoiceIssue,
  InvoiceListQuery,
  InvoiceSend,
  InvoiceSettings,
  InvoiceSettingsUpdate,
  InvoiceUpdate,
  InvoiceVoid,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunAction, DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

export interface InvoicesResource {
  /** A DRAFT (nothing posted); `{ dryRun: true }` answers an `invoice_dry_run` and writes nothing. */
  create: DryRunWrite<InvoiceCreate, Invoice, InvoiceDryRun>;
  get(id: string, options?: RequestOptions): Promise<Invoice>;
  list(query?: InvoiceListQuery, options?: RequestOptions): Promise<Page<Invoice>>;
  iterate(query?: Omit<InvoiceListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Invoice>;
  /** Only a DRAFT changes: an issued invoice is corrected by a credit note or voided. */
  update(id: string, body: InvoiceUpdate, options?: RequestOptions): Promise<Invoice>;
  /** Numbers and posts the invoice (Dr receivables / Cr revenue / Cr tax); `{ dryRun: true }` previews the entry. */
  issue: DryRunAction<InvoiceIssue, Invoice, InvoiceDryRun>;
  /** Issues a DRAFT first, then emails it with its PDF. */
  send(id: string, body?: InvoiceSend, options?: RequestOptions): Promise<Invoice>;
  view(id: string, options?: RequestOptions): Promise<Invoice>;
  /** CANCELLED, with every entry it posted reversed; refused while payments or credit notes are applied. */
  void(id: string, body?: InvoiceVoid, options?: RequestOptions): Promise<Invoice>;
  /** The PDF document's bytes (they start with `%PDF`). */
  pdf(id: string, options?: RequestOptions): Promise<Uint8Array>;
}

export interface InvoiceSettingsResource {
  get(options?: RequestOptions): Promise<InvoiceSettings>;
  /** Prefixes, number width, payment terms; a next number only moves forward. */
  update(body: InvoiceSettingsUpdate, options?: RequestOptions): Promise<InvoiceSettings>;
}

export interface CreditNotesResource {
  /** Credits an issued invoice: lowers its balance and posts the reverse of its revenue and tax. */
  create(body: CreditNoteCreate, options?: RequestOptions): Promise<CreditNote>;
  get(id: string, options?: RequestOptions): Promise<CreditNote>;
  list(query?: CreditNoteListQuery, options?: RequestOptions): Promise<Page<CreditNote>>;
  iterate(query?: Omit<CreditNoteListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<CreditNote>;
}

export function createInvoicesResource(c: ResourceContext): InvoicesResource {
  const base = (): string => `${c.org()}/invoices`;
  const one = (invoiceId: string): string => `${base()}/${c.id(invoiceId)}`;
  return {
    create: ((body: InvoiceCreate, o?: DryRunOptions) => c.post(base(), body, o)) as InvoicesResource['create'],
    get: (invoiceId, o) => c.get(one(invoiceId), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (invoiceId, body, o) => c.patch(one(invoiceId), body, o),
    issue: ((invoiceId: string, body: InvoiceIssue | undefined, o?: DryRunOptions) => c.post(`${one(invoiceId)}/issue`, body ?? {}, o)) as InvoicesResource['issue'],
    send: (invoiceId, body, o) => c.post(`${one(invoiceId)}/send`, body ?? {}, o),
    view: (invoiceId, o) => c.post(`${one(invoiceId)}/view`, undefined, o),
    void: (invoiceId, body, o) => c.post(`${one(invoiceId)}/void`, body ?? {}, o),
    pdf: (invoiceId, o) => c.getBytes(`${one(invoiceId)}/pdf`, undefined, o),
  };
}

export function createInvoiceSettingsResource(c: ResourceContext): InvoiceSettingsResource {
  return {
    get: (o) => c.get(`${c.org()}/invoice-settings`, undefined, o),
    update: (body, o) => c.put(`${c.org()}/invoice-settings`, body, o),
  };
}

export function createCreditNotesResource(c: ResourceContext): CreditNotesResource {
  const base = (): string => `${c.org()}/credit-notes`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (creditNoteId, o) => c.get(`${base()}/${c.id(creditNoteId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
  };
}
