import { defineRoute, type Route } from '../http/route.js';
import type { PayoutService } from './payout-service.js';

const base = '/v1/organizations/:orgId/payouts';

/** Payouts are recorded by payment connectors (through the SDK), so the API only reads them. */
export function createPayoutRoutes(payouts: PayoutService): Route[] {
  return [
    defineRoute({
      method: 'GET', path: base, operationId: 'listPayouts', tag: 'Payments', summary: 'List payouts',
      description: 'Payouts recorded by payment connectors, oldest first. `amount`, `currency` and `arrivalFrom`/`arrivalTo` find the payout a bank deposit is; `paymentId` the payout that settled a payment.',
      query: 'PayoutListQuery', response: { status: 200, list: 'Payout' },
      handler: ({ organizationId, query }) => payouts.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:payoutId`, operationId: 'getPayout', tag: 'Payments', summary: 'Get a payout',
      response: { status: 200, schema: 'Payout' },
      handler: ({ organizationId, params }) => payouts.get(organizationId, params['payoutId'] ?? ''),
    }),
  ];
}
