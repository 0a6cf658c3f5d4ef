import type {
  Payment, PaymentApply, PaymentComplete, PaymentCreate, PaymentDisputeCreate, PaymentDisputeResolve, PaymentDryRun, PaymentFail, PaymentIntent,
  PaymentIntentCreate, PaymentListQuery, PaymentRefundCreate,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

/** The action a payment connector offers for `createIntent` (its manifest's `actions`), also reachable as such. */
export const PAYMENT_INTENT_ACTION = 'create_payment_intent';

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
  /** COMPLETED → DISPUTED: the processor withdrew the disputed amount (a chargeback). */
  dispute(id: string, body: PaymentDisputeCreate, options?: RequestOptions): Promise<Payment>;
  /** Closes the open dispute, WON (the funds come back) or LOST (taken back like a refund). */
  resolveDispute(id: string, body: PaymentDisputeResolve, options?: RequestOptions): Promise<Payment>;
  /**
   * A payment intent with the provider of a payment connector the organization enabled (`stripe`, …):
   * `POST …/payments/{connectorId}/intent`, served by any enabled connector whose manifest offers the
   * `create_payment_intent` action; the connector records a PENDING payment. Until that connector is
   * installed and enabled for the organization the hub answers 404 NOT_FOUND ("No integration with stripe
   * in this organization."), 409 INTEGRATION_INACTIVE while it is disabled, and 404 when it offers no
   * payment intents.
   */
  createIntent(connectorId: string, body: PaymentIntentCreate, options?: RequestOptions): Promise<PaymentIntent>;
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
    dispute: (paymentId, body, o) => c.post(`${one(paymentId)}/dispute`, body, o),
    resolveDispute: (paymentId, body, o) => c.post(`${one(paymentId)}/dispute/resolve`, body, o),
    createIntent: (connectorId, body, o) => c.post<PaymentIntent>(`${base()}/${c.id(connectorId)}/intent`, body, o),
  };
}
