import { defineRoute, type Route } from '../http/route.js';
import type { CreditNoteService } from './credit-note-service.js';
import type { InvoiceService } from './invoice-service.js';
import type { InvoiceSettingsService } from './numbering.js';

const org = '/v1/organizations/:orgId';
const invoice = `${org}/invoices/:invoiceId`;
const id = (params: Record<string, string>): string => params['invoiceId'] ?? '';

const ROUNDING = 'Per line: amount = quantity × unitPrice, discount, tax = net × rate, each rounded half away from zero to the minor unit; totals are sums of the rounded lines. Quantities are decimal strings with up to 4 decimals.';

export function createInvoiceRoutes(deps: { invoices: InvoiceService; settings: InvoiceSettingsService; creditNotes: CreditNoteService }): Route[] {
  const { invoices, settings, creditNotes } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/invoices`, operationId: 'createInvoice', tag: 'Invoices', summary: 'Create a draft invoice',
      description: `A DRAFT: nothing is posted until it is issued. ${ROUNDING} With ?dryRun=true the response is an InvoiceDryRun and nothing is written.`,
      body: 'InvoiceCreate', dryRun: true, response: { status: 201, schema: 'InvoiceWriteResult' }, errors: [422],
      handler: ({ organizationId, body, actor, dryRun }) => (dryRun ? invoices.previewCreate(organizationId, body, actor.eventMetadata) : invoices.create(organizationId, body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'GET', path: `${org}/invoices`, operationId: 'listInvoices', tag: 'Invoices', summary: 'List invoices',
      query: 'InvoiceListQuery', response: { status: 200, list: 'Invoice' },
      handler: ({ organizationId, query }) => invoices.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: invoice, operationId: 'getInvoice', tag: 'Invoices', summary: 'Get an invoice',
      response: { status: 200, schema: 'Invoice' },
      handler: ({ organizationId, params }) => invoices.get(organizationId, id(params)),
    }),
    defineRoute({
      method: 'PATCH', path: invoice, operationId: 'updateInvoice', tag: 'Invoices', summary: 'Update a draft invoice',
      description: 'Only a DRAFT changes (409 INVALID_STATE_TRANSITION otherwise): an issued invoice is corrected by a credit note or voided.',
      body: 'InvoiceUpdate', response: { status: 200, schema: 'Invoice' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor }) => invoices.update(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${invoice}/issue`, operationId: 'issueInvoice', tag: 'Invoices', summary: 'Issue a draft invoice',
      description: 'Takes the next invoice number (no gaps) and posts Dr receivables (total) / Cr revenue per line account (net) / Cr each tax rate account (tax) on the issue date, in one transaction. A foreign-currency invoice needs an exchangeRate. With ?dryRun=true: the invoice, journal entry preview and events, nothing written.',
      body: 'InvoiceIssue', dryRun: true, response: { status: 200, schema: 'InvoiceWriteResult' }, errors: [422],
      handler: ({ organizationId, params, body, actor, dryRun }) => (dryRun ? invoices.previewIssue(organizationId, id(params), body, actor.eventMetadata) : invoices.issue(organizationId, id(params), body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'POST', path: `${invoice}/send`, operationId: 'sendInvoice', tag: 'Invoices', summary: 'Email an invoice with its PDF',
      description: 'Issues a DRAFT first, then emails the customer (or `to`) with the PDF attached and records invoice.sent and email.sent. 422 CUSTOMER_EMAIL_MISSING without an address; 502 MAIL_DELIVERY_FAILED when the mail server refuses (nothing is recorded as sent).',
      body: 'InvoiceSend', response: { status: 200, schema: 'Invoice' }, errors: [422, 502],
      handler: ({ organizationId, params, body, actor }) => invoices.send(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${invoice}/view`, operationId: 'markInvoiceViewed', tag: 'Invoices', summary: 'Mark an invoice as viewed by the customer',
      description: 'SENT becomes VIEWED (invoice.viewed). Later statuses keep theirs; only the first view is recorded.',
      response: { status: 200, schema: 'Invoice' },
      handler: ({ organizationId, params, actor }) => invoices.view(organizationId, id(params), actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${invoice}/void`, operationId: 'voidInvoice', tag: 'Invoices', summary: 'Void an invoice',
      description: 'The invoice becomes CANCELLED (balance 0) and each journal entry it posted is reversed, in one transaction (invoice.cancelled). 409 INVOICE_HAS_PAYMENTS while payments or credit notes are applied.',
      body: 'InvoiceVoid', response: { status: 200, schema: 'Invoice' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => invoices.void(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${invoice}/pdf`, operationId: 'getInvoicePdf', tag: 'Invoices', summary: 'The invoice as a PDF',
      response: { status: 200, contentType: 'application/pdf', description: 'The invoice document (A4).' },
      handler: async ({ organizationId, params, ctx }) => {
        const { invoice: doc, pdf } = await invoices.pdf(organizationId, id(params));
        ctx.type = 'application/pdf';
        ctx.set('Content-Disposition', `inline; filename="${doc.number ?? `draft-${doc.id}`}.pdf"`);
        ctx.body = pdf;
      },
    }),
    defineRoute({
      method: 'GET', path: `${org}/invoice-settings`, operationId: 'getInvoiceSettings', tag: 'Invoices', summary: 'Numbering and payment terms',
      response: { status: 200, schema: 'InvoiceSettings' },
      handler: ({ organizationId }) => settings.get(organizationId),
    }),
    defineRoute({
      method: 'PUT', path: `${org}/invoice-settings`, operationId: 'updateInvoiceSettings', tag: 'Invoices', summary: 'Change numbering and payment terms',
      description: 'Prefixes, number width, default payment terms. A next number can only move forward (422 otherwise).',
      body: 'InvoiceSettingsUpdate', response: { status: 200, schema: 'InvoiceSettings' }, errors: [422],
      handler: ({ organizationId, body }) => settings.update(organizationId, body),
    }),
    defineRoute({
      method: 'POST', path: `${org}/credit-notes`, operationId: 'createCreditNote', tag: 'Credit notes', summary: 'Credit an issued invoice',
      description: 'Lowers the invoice balance and posts Dr revenue / Dr tax payable / Cr receivables at the invoice exchange rate. Lines are computed like invoice lines; a lump-sum `amount` (tax included) is split over the invoice revenue and tax in proportion. 422 CREDIT_EXCEEDS_BALANCE beyond the balance.',
      body: 'CreditNoteCreate', response: { status: 201, schema: 'CreditNote' }, errors: [422],
      handler: ({ organizationId, body, actor }) => creditNotes.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/credit-notes`, operationId: 'listCreditNotes', tag: 'Credit notes', summary: 'List credit notes',
      query: 'CreditNoteListQuery', response: { status: 200, list: 'CreditNote' },
      handler: ({ organizationId, query }) => creditNotes.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/credit-notes/:creditNoteId`, operationId: 'getCreditNote', tag: 'Credit notes', summary: 'Get a credit note',
      response: { status: 200, schema: 'CreditNote' },
      handler: ({ organizationId, params }) => creditNotes.get(organizationId, params['creditNoteId'] ?? ''),
    }),
  ];
}
