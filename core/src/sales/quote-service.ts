import type { Knex } from 'knex';
import type { EventMetadata, EventType, Invoice, Quote, QuoteCreate, QuoteListQuery, QuoteSend } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { CustomerService } from '../customers/service.js';
import { changedAttributes } from '../catalog/changes.js';
import { addDays, todayUtc } from './dates.js';
import { requireCustomer, type InvoiceDrafts } from './invoice-drafts.js';
import { invalidTransition } from './invoice-store.js';
import type { LineResolver } from './line-resolver.js';
import { recordEmailSent } from './document-mail.js';
import type { QuoteDelivery } from './quote-delivery.js';
import { toQuote } from './mappers.js';
import { QuoteModel } from './model.js';
import { takeNumber, type InvoiceSettingsService } from './numbering.js';

export interface QuoteService {
  create(organizationId: string, input: QuoteCreate, meta: EventMetadata): Promise<Quote>;
  get(organizationId: string, id: string): Promise<Quote>;
  list(organizationId: string, query: QuoteListQuery): Promise<Page<Quote>>;
  /**
   * Emails the quote with its PDF to the customer (or `to`) and records `quote.sent` and `email.sent`. A DRAFT
   * becomes SENT; a SENT or VIEWED quote is sent again (a reminder) and keeps its status.
   */
  send(organizationId: string, id: string, input: QuoteSend, meta: EventMetadata): Promise<Quote>;
  pdf(organizationId: string, id: string): Promise<{ quote: Quote; pdf: Buffer }>;
  view(organizationId: string, id: string, meta: EventMetadata): Promise<Quote>;
  accept(organizationId: string, id: string, meta: EventMetadata): Promise<Quote>;
  reject(organizationId: string, id: string, meta: EventMetadata): Promise<Quote>;
  /** An ACCEPTED quote becomes a DRAFT invoice with its lines, once (a second call is a 409). */
  convert(organizationId: string, id: string, meta: EventMetadata): Promise<Invoice>;
  /** The expiry job: SENT and VIEWED quotes whose `validUntil` is before `asOf` become EXPIRED (every organization). */
  expireDue(asOf: string): Promise<Quote[]>;
}

export interface QuoteDeps {
  knex: Knex;
  events: EventStore;
  customers: Pick<CustomerService, 'requireActive'>;
  lines: LineResolver;
  settings: InvoiceSettingsService;
  drafts: InvoiceDrafts;
  delivery: QuoteDelivery;
}

type Transition = { from: ReadonlyArray<Quote['status']>; to: Quote['status']; event: EventType; stamp: 'sentAt' | 'viewedAt' | 'acceptedAt' | 'rejectedAt' | 'expiredAt' };

/** Sending (DRAFT → SENT, or again while SENT or VIEWED) goes with an email: see `send`. */
const SENDABLE: ReadonlyArray<Quote['status']> = ['DRAFT', 'SENT', 'VIEWED'];

/** The lifecycle: DRAFT → SENT → VIEWED → ACCEPTED | REJECTED | EXPIRED (accept and reject also straight from SENT). */
const TRANSITIONS = {
  view: { from: ['SENT'], to: 'VIEWED', event: 'quote.viewed', stamp: 'viewedAt' },
  accept: { from: ['SENT', 'VIEWED'], to: 'ACCEPTED', event: 'quote.accepted', stamp: 'acceptedAt' },
  reject: { from: ['SENT', 'VIEWED'], to: 'REJECTED', event: 'quote.rejected', stamp: 'rejectedAt' },
  expire: { from: ['SENT', 'VIEWED'], to: 'EXPIRED', event: 'quote.expired', stamp: 'expiredAt' },
} as const satisfies Record<string, Transition>;

export function createQuoteService(deps: QuoteDeps): QuoteService {
  const { knex, events } = deps;

  async function lock(organizationId: string, id: string, trx: Knex.Transaction): Promise<QuoteModel> {
    const row = await QuoteModel.findInOrganization(organizationId, id, 'quote', trx, { forUpdate: true });
    return row;
  }

  async function change(trx: Knex.Transaction, row: QuoteModel, patch: Partial<QuoteModel>, type: EventType, meta: EventMetadata): Promise<Quote> {
    const before = toQuote(row);
    const after = toQuote(await QuoteModel.forOrganization(row.organizationId, trx).patchAndFetchById(row.id, { ...patch, updatedAt: new Date() }));
    await events.append(trx, [{ type, aggregateType: 'quote', aggregateId: after.id, organizationId: after.organizationId, data: { object: after, previousAttributes: changedAttributes(before, after) } }], meta);
    return after;
  }

  async function move(trx: Knex.Transaction, row: QuoteModel, t: Transition, meta: EventMetadata): Promise<Quote> {
    if (!t.from.includes(row.status)) throw invalidTransition('quote', row.status, [...t.from]);
    return change(trx, row, { status: t.to, [t.stamp]: new Date() }, t.event, meta);
  }

  const transition = (t: Transition) => (organizationId: string, id: string, meta: EventMetadata) =>
    knex.transaction(async (trx) => {
      const row = await lock(organizationId, id, trx);
      if (t === TRANSITIONS.view && row.status === 'VIEWED') return toQuote(row);
      if (t === TRANSITIONS.accept && row.validUntil < todayUtc() && t.from.includes(row.status)) {
        throw new AppError('INVALID_STATE_TRANSITION', `Quote ${row.number} was valid until ${row.validUntil}: it can no longer be accepted.`);
      }
      return move(trx, row, t, meta);
    });

  return {
    async create(organizationId, input, meta) {
      return knex.transaction(async (trx) => {
        const customer = await requireCustomer(deps.customers, organizationId, input.customerId, trx);
        const currency = input.currency ?? customer.currency;
        const issueDate = input.issueDate ?? todayUtc();
        const validUntil = input.validUntil ?? addDays(issueDate, 30);
        if (validUntil < issueDate) throw unprocessable(`The quote would be valid until ${validUntil}, before its issue date ${issueDate}.`, [{ field: '/validUntil', in: 'body', message: 'before the issue date' }]);
        const resolved = await deps.lines.resolve(organizationId, currency, input.lines, trx);
        const number = await takeNumber(trx, organizationId, 'quote');
        const row = await QuoteModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('quo'), organizationId, customerId: customer.id, number, status: 'DRAFT', currency, issueDate, validUntil, ...resolved,
          notes: input.notes ?? null, invoiceId: null, metadata: input.metadata ?? {},
        } as Partial<QuoteModel>);
        const quote = toQuote(row);
        await events.append(trx, [{ type: 'quote.created', aggregateType: 'quote', aggregateId: quote.id, organizationId, data: { object: quote } }], meta);
        return quote;
      });
    },

    async get(organizationId, id) {
      const row = await QuoteModel.findInOrganization(organizationId, id, 'quote', knex);
      return toQuote(row);
    },

    async list(organizationId, query) {
      const q = QuoteModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      if (query.customerId) q.where('customer_id', query.customerId);
      return fetchPage(q, query, toQuote);
    },

    async send(organizationId, id, input, meta) {
      // The mail goes out before anything is written: if it cannot be delivered, nothing is recorded as sent.
      const email = await deps.delivery.mail(organizationId, id, input, SENDABLE);
      return knex.transaction(async (trx) => {
        const row = await lock(organizationId, id, trx);
        if (!SENDABLE.includes(row.status)) throw invalidTransition('quote', row.status, [...SENDABLE]);
        const quote = await change(trx, row, { status: row.status === 'DRAFT' ? 'SENT' : row.status, sentAt: new Date() }, 'quote.sent', meta);
        await recordEmailSent(events, trx, organizationId, email, meta);
        return quote;
      });
    },
    pdf: (organizationId, id) => deps.delivery.pdf(organizationId, id),
    view: transition(TRANSITIONS.view),
    accept: transition(TRANSITIONS.accept),
    reject: transition(TRANSITIONS.reject),

    async convert(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await lock(organizationId, id, trx);
        if (row.invoiceId) throw new AppError('QUOTE_ALREADY_CONVERTED', `Quote ${row.number} was already converted into invoice ${row.invoiceId}.`);
        if (row.status !== 'ACCEPTED') throw invalidTransition('quote', row.status, ['ACCEPTED']);
        await requireCustomer(deps.customers, organizationId, row.customerId, trx);
        const issueDate = todayUtc();
        const { paymentTermsDays } = await deps.settings.get(organizationId, trx);
        const { lines, taxes, subtotal, discountTotal, taxTotal, total, currency, notes } = row;
        const invoice = await deps.drafts.insert(trx, organizationId, {
          customerId: row.customerId, currency, exchangeRate: null, issueDate, dueDate: addDays(issueDate, paymentTermsDays),
          lines, taxes, subtotal, discountTotal, taxTotal, total, notes, quoteId: row.id, metadata: {},
        }, meta);
        await change(trx, row, { invoiceId: invoice.id }, 'quote.converted', meta);
        return invoice;
      });
    },

    async expireDue(asOf) {
      const candidates = await knex('quotes').select<Array<{ id: string; organizationId: string }>>('id', 'organization_id').whereIn('status', ['SENT', 'VIEWED']).where('valid_until', '<', asOf).orderBy('id');
      const expired: Quote[] = [];
      for (const { id, organizationId } of candidates) {
        const quote = await knex.transaction(async (trx) => {
          const row = await lock(organizationId, id, trx);
          if (!(TRANSITIONS.expire.from as ReadonlyArray<string>).includes(row.status) || row.validUntil >= asOf) return null;
          return move(trx, row, TRANSITIONS.expire, { source: 'SYSTEM' });
        });
        if (quote) expired.push(quote);
      }
      return expired;
    },
  };
}
