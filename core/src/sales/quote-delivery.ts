import type { Knex } from 'knex';
import type { Customer, Organization, Quote, QuoteSend } from '@uah/schemas';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { Mailer } from '../mail/mailer.js';
import { documentEmailText, mailDocument, recipientOf, type DeliveredEmail } from './document-mail.js';
import { invalidTransition } from './invoice-store.js';
import { toQuote } from './mappers.js';
import { QuoteModel } from './model.js';
import { money, renderSalesDocumentPdf, type SalesDocumentView } from './pdf.js';

export interface QuoteDeliveryDeps {
  knex: Knex;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  customers: Pick<CustomerService, 'get'>;
  mailer: Mailer;
  /** Compress PDF content streams (default true; tests read the text of uncompressed ones). */
  compressPdf?: boolean;
}

export interface QuoteDelivery {
  pdf(organizationId: string, id: string): Promise<{ quote: Quote; pdf: Buffer }>;
  /**
   * Renders the quote and emails it, refusing first (nothing sent) when its status is not in `sendable` or
   * the customer has no address. Records nothing: the caller does, once the mail is out.
   */
  mail(organizationId: string, id: string, input: QuoteSend, sendable: ReadonlyArray<Quote['status']>): Promise<DeliveredEmail>;
}

const TITLES: Partial<Record<Quote['status'], string>> = { EXPIRED: 'Quote (expired)', REJECTED: 'Quote (rejected)' };

/** A quote on paper: the invoice layout without a payment section (nothing is owed on a quote). */
export function quoteView(quote: Quote, organization: Organization, customer: Customer): SalesDocumentView {
  const totals: Array<[string, number]> = [['Subtotal', quote.subtotal]];
  if (quote.discountTotal > 0) totals.push(['Discounts', -quote.discountTotal]);
  totals.push(['Tax', quote.taxTotal], ['Total', quote.total]);
  return {
    title: TITLES[quote.status] ?? 'Quote',
    number: quote.number,
    dates: [['Issue date', quote.issueDate], ['Valid until', quote.validUntil]],
    organization,
    customer,
    currency: quote.currency,
    lines: quote.lines,
    taxes: quote.taxes,
    totals,
    notes: quote.notes,
  };
}

export function createQuoteDelivery(deps: QuoteDeliveryDeps): QuoteDelivery {
  async function load(organizationId: string, id: string) {
    const row = await QuoteModel.findInOrganization(organizationId, id, 'quote', deps.knex);
    const quote = toQuote(row);
    const [organization, customer] = await Promise.all([deps.organizations.get(organizationId), deps.customers.get(organizationId, quote.customerId)]);
    return { quote, organization, customer };
  }
  const render = (quote: Quote, organization: Organization, customer: Customer): Promise<Buffer> =>
    renderSalesDocumentPdf(quoteView(quote, organization, customer), { compress: deps.compressPdf ?? true });

  return {
    async pdf(organizationId, id) {
      const { quote, organization, customer } = await load(organizationId, id);
      return { quote, pdf: await render(quote, organization, customer) };
    },

    async mail(organizationId, id, input, sendable) {
      const { quote, organization, customer } = await load(organizationId, id);
      if (!sendable.includes(quote.status)) throw invalidTransition('quote', quote.status, [...sendable]);
      const to = recipientOf(customer, input.to);
      const text = documentEmailText(input.message, [
        `Quote ${quote.number}, issued ${quote.issueDate}, valid until ${quote.validUntil}.`,
        `Total: ${money(quote.total, quote.currency)}.`,
      ], 'quote');
      return mailDocument(deps.mailer, {
        to, subject: `Quote ${quote.number} from ${organization.name}`, text, fromName: organization.name,
        filename: `${quote.number}.pdf`, pdf: await render(quote, organization, customer), relatedObject: { type: 'quote', id },
      });
    },
  };
}
