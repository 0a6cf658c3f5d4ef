import { defineRoute, type Route } from '../http/route.js';
import type { PaymentService } from './service.js';

const base = '/v1/organizations/:orgId/payments';
const id = (params: Record<string, string>): string => params['paymentId'] ?? '';

export function createPaymentRoutes(payments: PaymentService): Route[] {
  return [
    defineRoute({
      method: 'POST', path: base, operationId: 'createPayment', tag: 'Payments', summary: 'Record a payment',
      description:
        'Records money received from a customer. COMPLETED (the default) posts it at once: Dr bank or payment clearing (net), Dr payment processing fees, Cr receivables for what is applied to invoices, Cr customer credits for the rest. ' +
        'With `?dryRun=true` nothing is written: the answer (a `payment_dry_run`, same status as the other write dry runs) holds the payment, the journal entries and the events the request would write.',
      body: 'PaymentCreate', dryRun: true, response: { status: 201, schema: 'PaymentCreateResult' }, errors: [422],
      handler: ({ organizationId, body, actor, dryRun }) => (dryRun ? payments.dryRun(organizationId, body, actor.eventMetadata) : payments.create(organizationId, body, actor.eventMetadata)),
    }),
    defineRoute({
      method: 'GET', path: base, operationId: 'listPayments', tag: 'Payments', summary: 'List payments',
      query: 'PaymentListQuery', response: { status: 200, list: 'Payment' },
      handler: ({ organizationId, query }) => payments.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:paymentId`, operationId: 'getPayment', tag: 'Payments', summary: 'Get a payment',
      response: { status: 200, schema: 'Payment' },
      handler: ({ organizationId, params }) => payments.get(organizationId, id(params)),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/process`, operationId: 'processPayment', tag: 'Payments', summary: 'Mark a pending payment as processing',
      response: { status: 200, schema: 'Payment' },
      handler: ({ organizationId, params, actor }) => payments.process(organizationId, id(params), actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/complete`, operationId: 'completePayment', tag: 'Payments', summary: 'Complete a pending payment',
      description: 'PENDING or PROCESSING → COMPLETED: the payment is posted and applied to the invoices it was recorded for (each checked again against its balance).',
      body: 'PaymentComplete', response: { status: 200, schema: 'Payment' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => payments.complete(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/fail`, operationId: 'failPayment', tag: 'Payments', summary: 'Mark a pending payment as failed',
      body: 'PaymentFail', response: { status: 200, schema: 'Payment' },
      handler: ({ organizationId, params, body, actor }) => payments.fail(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/refund`, operationId: 'refundPayment', tag: 'Payments', summary: 'Refund a payment',
      description: 'Refunds a COMPLETED payment in full (no amount) or in part. The customer credit is refunded first, then the invoice applications, latest first (those invoices reopen). Fees are not returned. Fully refunded payments become REFUNDED.',
      body: 'PaymentRefundCreate', response: { status: 200, schema: 'Payment' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => payments.refund(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/apply`, operationId: 'applyPayment', tag: 'Payments', summary: 'Apply customer credit to invoices',
      description: 'Applies what is left unapplied on a COMPLETED payment (customer credit) to invoices of the same customer and currency: Dr customer credits, Cr receivables.',
      body: 'PaymentApply', response: { status: 200, schema: 'Payment' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => payments.apply(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/dispute`, operationId: 'disputePayment', tag: 'Payments', summary: 'Open a dispute (chargeback) on a payment',
      description:
        'COMPLETED → DISPUTED. The processor has withdrawn the disputed amount (default: everything not refunded): Dr disputed funds (1060), Cr the deposit account. ' +
        'While the dispute is open the payment cannot be refunded or applied. A payment has one dispute (a second one is refused with 409).',
      body: 'PaymentDisputeCreate', response: { status: 200, schema: 'Payment' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => payments.dispute(organizationId, id(params), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:paymentId/dispute/resolve`, operationId: 'resolvePaymentDispute', tag: 'Payments', summary: 'Close the dispute of a payment as won or lost',
      description:
        'WON: the funds come back (Dr deposit account, Cr disputed funds) and the payment is COMPLETED again. ' +
        'LOST: the disputed amount is taken back from the payment like a refund (customer credit first, then the invoices paid last, which reopen): Dr customer credits / receivables, Cr disputed funds; REFUNDED if nothing of the payment is left, else COMPLETED.',
      body: 'PaymentDisputeResolve', response: { status: 200, schema: 'Payment' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => payments.resolveDispute(organizationId, id(params), body, actor.eventMetadata),
    }),
  ];
}
