import type { Knex } from 'knex';
import type { Customer, EventMetadata, Invoice, InvoiceSend, Organization } from '@uah/schemas';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { Mailer } from '../mail/mailer.js';
import { invalidTransition, type InvoiceStore } from './invoice-store.js';
import type { InvoiceIssuing } from './invoice-issue.js';
import { toInvoice } from './mappers.js';
import { documentEmailText, mailDocument, recipientOf, recordEmailSent } from './document-mail.js';
import { money, renderSalesDocumentPdf, type SalesDocumentView } from './pdf.js';

export interface DeliveryDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  customers: Pick<CustomerService, 'get'>;
  mailer: Mailer;
  store: InvoiceStore;
  issuing: Pick<InvoiceIssuing, 'issue'>;
  /** Compress PDF content streams (default true; tests read the text of uncompressed ones). */
  compressPdf?: boolean;
}

export function invoiceView(invoice: Invoice, organization: Organization, customer: Customer): SalesDocumentView {
  const totals: Array<[string, number]> = [['Subtotal', invoice.subtotal]];
  if (invoice.discountTotal > 0) totals.push(['Discounts', -invoice.discountTotal]);
  totals.push(['Tax', invoice.taxTotal], ['Total', invoice.total], ['Amount paid', invoice.amountPaid]);
  if (invoice.amountCredited > 0) totals.push(['Credited', invoice.amountCredited]);
  totals.push(['Balance due', invoice.balance]);
  return {
    title: invoice.status === 'CANCELLED' ? 'Invoice (void)' : 'Invoice',
    number: invoice.number,
    dates: [['Issue date', invoice.issueDate], ['Due date', invoice.dueDate]],
    organization,
    customer,
    currency: invoice.currency,
    lines: invoice.lines,
    taxes: invoice.taxes,
    totals,
    notes: invoice.notes,
  };
}

export function createInvoiceDelivery(deps: DeliveryDeps) {
  const { knex, store } = deps;

  async function load(organizationId: string, id: string, trx?: Knex.Transaction) {
    const invoice = toInvoice(await store.find(organizationId, id, trx ?? knex));
    const [organization, customer] = await Promise.all([deps.organizations.get(organizationId), deps.customers.get(organizationId, invoice.customerId)]);
    return { invoice, organization, customer };
  }

  const delivery = {
    async pdf(organizationId: string, id: string): Promise<{ invoice: Invoice; pdf: Buffer }> {
      const { invoice, organization, customer } = await load(organizationId, id);
      return { invoice, pdf: await renderSalesDocumentPdf(invoiceView(invoice, organization, customer), { compress: deps.compressPdf ?? true }) };
    },

    /**
     * Emails the invoice with its PDF (issuing it first if it is a DRAFT), then records `invoice.sent` and
     * `email.sent`. The mail goes out before the events are written: if it cannot be delivered nothing is
     * recorded as sent (an issued draft stays issued).
     */
    async send(organizationId: string, id: string, input: InvoiceSend, meta: EventMetadata): Promise<Invoice> {
      const before = await load(organizationId, id);
      if (before.invoice.status === 'CANCELLED') throw invalidTransition('invoice', 'CANCELLED', ['DRAFT', 'SENT', 'VIEWED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE']);
      const to = recipientOf(before.customer, input.to);
      if (before.invoice.status === 'DRAFT') await deps.issuing.issue(organizationId, id, {}, meta);
      const { invoice, organization, customer } = await load(organizationId, id);
      const pdf = await renderSalesDocumentPdf(invoiceView(invoice, organization, customer), { compress: deps.compressPdf ?? true });
      const text = documentEmailText(input.message, [
        `Invoice ${invoice.number}, issued ${invoice.issueDate}, due ${invoice.dueDate}.`,
        `Total: ${money(invoice.total, invoice.currency)}. Balance due: ${money(invoice.balance, invoice.currency)}.`,
      ], 'invoice');
      const email = await mailDocument(deps.mailer, {
        to, subject: `Invoice ${invoice.number} from ${organization.name}`, text, fromName: organization.name,
        filename: `${invoice.number}.pdf`, pdf, relatedObject: { type: 'invoice', id },
      });
      return knex.transaction(async (trx) => {
        const row = await store.lock(organizationId, id, trx);
        const after = await store.change(trx, row, { sentAt: new Date() }, 'invoice.sent', meta);
        await recordEmailSent(deps.events, trx, organizationId, email, meta);
        return after;
      });
    },
  };
  return delivery;
}
