import type { Payment, PaymentApply, PaymentComplete, PaymentCreate, PaymentDryRun, PaymentFail, PaymentListQuery, PaymentRefundCreate } from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

export interface PaymentsResource {
  /** Money received from a customer; `{ dryRun: true }` answers a `payment_dry_run` and writes nothing. */
  create: DryRunWrite<PaymentCreate, Payment, PaymentDryRun>;
  get(id: string, options?: RequestOptions): Promise<Payment>;
  list(query?: PaymentListQuery, options?: RequestOptions): Promise<Page<Payment>>;
  iterate(query?: Omit<PaymentListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Payment>;
  /** PENDING → PROCESSING. */
  process(id: string, options?: RequestOptions): Promise<Payment>;
  /** PENDING or PROCESSING → COMPLETED: posted and applied to its invoices. */
  complete(id: string, body?: PaymentComplete, options?: RequestOptions): Promise<Payment>;
  fail(id: string, body?: PaymentFail, options?: RequestOptions): Promise<Payment>;
  /** In full without `amount`, else in part; the customer credit is refunded first. */
  refund(id: string, body?: PaymentRefundCreate, options?: RequestOptions): Promise<Payment>;
  /** Applies the unapplied rest (customer credit) to invoices of the same customer and currency. */
  apply(id: string, body: PaymentApply, options?: RequestOptions): Promise<Payment>;
}

export function createPaymentsResource(c: ResourceContext): PaymentsResource {
  const base = (): string => `${c.org()}/payments`;
  const one = (paymentId: string): string => `${base()}/${c.id(paymentId)}`;
  return {
    create: ((body: PaymentCreate, o?: DryRunOptions) => c.post(base(), body, o)) as PaymentsResource['create'],
    get: (paymentId, o) => c.get(one(paymentId), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    process: (paymentId, o) => c.post(`${one(paymentId)}/process`, undefined, o),
    complete: (paymentId, body, o) => c.post(`${one(paymentId)}/complete`, body ?? {}, o),
    fail: (paymentId, body, o) => c.post(`${one(paymentId)}/fail`, body ?? {}, o),
    refund: (paymentId, body, o) => c.post(`${one(paymentId)}/refund`, body ?? {}, o),
    apply: (paymentId, body, o) => c.post(`${one(paymentId)}/apply`, body, o),
  };
}
