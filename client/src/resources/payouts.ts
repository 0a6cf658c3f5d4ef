import type { Payout, PayoutListQuery } from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/** Payouts recorded by payment connectors (read only: the connectors record them). */
export interface PayoutsResource {
  get(id: string, options?: RequestOptions): Promise<Payout>;
  /** `{ amount, currency, arrivalFrom, arrivalTo }` finds the payout a bank deposit is; `{ paymentId }` the one that settled a payment. */
  list(query?: PayoutListQuery, options?: RequestOptions): Promise<Page<Payout>>;
  iterate(query?: Omit<PayoutListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Payout>;
}

export function createPayoutsResource(c: ResourceContext): PayoutsResource {
  const base = (): string => `${c.org()}/payouts`;
  return {
    get: (payoutId, o) => c.get(`${base()}/${c.id(payoutId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
  };
}
