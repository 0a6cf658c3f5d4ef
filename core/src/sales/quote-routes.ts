import { defineRoute, type Route } from '../http/route.js';
import type { QuoteService } from './quote-service.js';

const org = '/v1/organizations/:orgId';
const quote = `${org}/quotes/:quoteId`;
const id = (params: Record<string, string>): string => params['quoteId'] ?? '';

const LIFECYCLE = 'Lifecycle: DRAFT → SENT → VIEWED → ACCEPTED | REJECTED | EXPIRED (accept and reject also from SENT); any other move is 409 INVALID_STATE_TRANSITION.';

export function createQuoteRoutes(quotes: QuoteService): Route[] {
  const step = (action: 'view' | 'accept' | 'reject', operationId: string, summary: string, description: string): Route =>
    defineRoute({
      method: 'POST', path: `${quote}/${action}`, operationId, tag: 'Quotes', summary, description: `${description} ${LIFECYCLE}`,
      response: { status: 200, schema: 'Quote' },
      handler: ({ organizationId, params, actor }) => quotes[action](organizationId, id(params), actor.eventMetadata),
    });
  return [
    defineRoute({
      method: 'POST', path: `${org}/quotes`, operationId: 'createQuote', tag: 'Quotes', summary: 'Create a quote',
      description: `A DRAFT quote with the next quote number. Lines are computed like invoice lines. ${LIFECYCLE}`,
      body: 'QuoteCreate', response: { status: 201, schema: 'Quote' }, errors: [422],
      handler: ({ organizationId, body, actor }) => quotes.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/quotes`, operationId: 'listQuotes', tag: 'Quotes', summary: 'List quotes',
      query: 'QuoteListQuery', response: { status: 200, list: 'Quote' },
      handler: ({ organizationId, query }) => quotes.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: quote, operationId: 'getQuote', tag: 'Quotes', summary: 'Get a quote',
      response: { status: 200, schema: 'Quote' },
      handler: ({ organizationId, params }) => quotes.get(organizationId, id(params)),
    }),
    defineRoute({
      method: 'POST', path: `${quote}/send`, operationId: 'sendQuote', tag: 'Quotes', summary: 'Email a quote with its PDF',
      description: `Emails the customer (or \`to\`) with the quote PDF attached and records quote.sent and email.sent: a DRAFT becomes SENT; a SENT or VIEWED quote is sent again and keeps its status. 422 CUSTOMER_EMAIL_MISSING without an address; 502 MAIL_DELIVERY_FAILED when the mail server refuses (nothing is recorded as sent). ${LIFECYCLE}`,
      body: 'QuoteSend', response: { status: 200, schema: 'Quote' }, errors: [422, 502],
      handler: ({ organizationId, params, body, actor }) => quotes.send(organizationId, id(params), body, actor.eventMetadata),
    }),
    step('view', 'markQuoteViewed', 'Mark a quote as viewed', 'SENT → VIEWED (quote.viewed); a VIEWED quote stays as it is.'),
    step('accept', 'acceptQuote', 'Accept a quote', 'SENT or VIEWED → ACCEPTED (quote.accepted), on or before validUntil.'),
    step('reject', 'rejectQuote', 'Reject a quote', 'SENT or VIEWED → REJECTED (quote.rejected).'),
    defineRoute({
      method: 'POST', path: `${quote}/convert`, operationId: 'convertQuote', tag: 'Quotes', summary: 'Convert an accepted quote into a draft invoice',
      description: 'Once: the DRAFT invoice keeps the quote\'s lines and `quoteId`, and the quote its `invoiceId` (quote.converted, invoice.created). A second call is 409 QUOTE_ALREADY_CONVERTED; a quote not ACCEPTED is 409 INVALID_STATE_TRANSITION.',
      response: { status: 201, schema: 'Invoice' }, errors: [422],
      handler: ({ organizationId, params, actor }) => quotes.convert(organizationId, id(params), actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${quote}/pdf`, operationId: 'getQuotePdf', tag: 'Quotes', summary: 'The quote as a PDF',
      response: { status: 200, contentType: 'application/pdf', description: 'The quote document (A4): lines, taxes, totals and the date it is valid until.' },
      handler: async ({ organizationId, params, ctx }) => {
        const { quote: doc, pdf } = await quotes.pdf(organizationId, id(params));
        ctx.type = 'application/pdf';
        ctx.set('Content-Disposition', `inline; filename="${doc.number}.pdf"`);
        ctx.body = pdf;
      },
    }),
  ];
}
