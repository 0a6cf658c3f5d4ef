import type { Invoice, Quote, QuoteCreate, QuoteListQuery, QuoteSend } from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/**
 * Quotes: DRAFT → SENT → VIEWED → ACCEPTED | REJECTED | EXPIRED (accept and reject also from SENT);
 * any other move is a 409 `INVALID_STATE_TRANSITION`.
 */
export interface QuotesResource {
  create(body: QuoteCreate, options?: RequestOptions): Promise<Quote>;
  get(id: string, options?: RequestOptions): Promise<Quote>;
  list(query?: QuoteListQuery, options?: RequestOptions): Promise<Page<Quote>>;
  iterate(query?: Omit<QuoteListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Quote>;
  /** Emails the quote with its PDF to the customer (or `body.to`); a DRAFT becomes SENT. */
  send(id: string, body?: QuoteSend, options?: RequestOptions): Promise<Quote>;
  /** The quote as a PDF. */
  pdf(id: string, options?: RequestOptions): Promise<Uint8Array>;
  view(id: string, options?: RequestOptions): Promise<Quote>;
  accept(id: string, options?: RequestOptions): Promise<Quote>;
  reject(id: string, options?: RequestOptions): Promise<Quote>;
  /** Once per accepted quote: the DRAFT invoice with the quote's lines. */
  convert(id: string, options?: RequestOptions): Promise<Invoice>;
}

export function createQuotesResource(c: ResourceContext): QuotesResource {
  const base = (): string => `${c.org()}/quotes`;
  const step = <T>(action: string) => (quoteId: string, o?: RequestOptions): Promise<T> => c.post(`${base()}/${c.id(quoteId)}/${action}`, undefined, o);
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (quoteId, o) => c.get(`${base()}/${c.id(quoteId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    send: (quoteId, body, o) => c.post(`${base()}/${c.id(quoteId)}/send`, body ?? {}, o),
    pdf: (quoteId, o) => c.getBytes(`${base()}/${c.id(quoteId)}/pdf`, undefined, o),
    view: step<Quote>('view'),
    accept: step<Quote>('accept'),
    reject: step<Quote>('reject'),
    convert: step<Invoice>('convert'),
  };
}
