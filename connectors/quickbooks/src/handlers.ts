import { pushUnlinked, type ConnectorHandlers, type Customer, type Event, type Invoice, type Payment, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { faultMessage, qbo, type Config, type Credentials, type Ctx } from './api.js';
import { pull } from './inbound.js';
import { pushCustomer, pushInvoice, pushPayment, voidInvoice } from './outbound.js';

type DataType = 'customer' | 'invoice' | 'payment';

/**
 * A push: every record of ours that QuickBooks does not have yet (made before the integration, or whose
 * event failed) is sent; linked ones are left to their events. A second push finds nothing to send.
 */
async function push(ctx: Ctx, type: DataType): Promise<SyncResult> {
  const api = await qbo(ctx);
  const send = { customer: (r: Customer) => pushCustomer(ctx, api, r), invoice: (r: Invoice) => pushInvoice(ctx, api, r), payment: (r: Payment) => pushPayment(ctx, api, r) }[type] as unknown as (record: { id: string }) => Promise<{ id?: string; created: boolean }>;
  const list = { customer: ctx.entities.customers, invoice: ctx.entities.invoices, payment: ctx.entities.payments }[type] as { list(q: { limit: number; cursor?: string }): Promise<{ data: Array<{ id: string; status?: string }>; nextCursor: string | null }> };
  return pushUnlinked(ctx, {
    entityType: type,
    list: (query) => list.list(query),
    eligible: (record) => (type === 'invoice' ? record.status !== 'CANCELLED' : type === 'payment' ? record.status === 'COMPLETED' : true),
    send: async (record) => {
      const sent = await send(record);
      return sent.created ? 'created' : 'updated';
    },
    message: faultMessage,
  });
}

const sync = (type: DataType) => (ctx: Ctx, job: SyncJob): Promise<SyncResult> => (job.direction === 'pull' ? pull(ctx, job, type) : push(ctx, type));

/** Our domain events, sent to QuickBooks. */
async function onEvent(ctx: Ctx, event: Event): Promise<void> {
  const api = await qbo(ctx);
  const object = (event.data as { object?: unknown }).object;
  switch (event.type) {
    case 'customer.created':
    case 'customer.updated':
      await pushCustomer(ctx, api, object as Customer);
      return;
    case 'invoice.created':
    case 'invoice.issued':
    case 'invoice.sent': {
      // The event's copy may be older than the invoice now (events arrive out of order): send the current one.
      const invoice = (await ctx.entities.invoices.get((object as Invoice).id)) ?? (object as Invoice);
      await pushInvoice(ctx, api, invoice);
      return;
    }
    case 'invoice.cancelled':
      await voidInvoice(ctx, api, object as Invoice);
      return;
    case 'payment.succeeded':
      await pushPayment(ctx, api, object as Payment);
      return;
    default:
      return;
  }
}

export const handlers: ConnectorHandlers<Credentials, Config> = {
  check: async (ctx) => {
    // Before the authorization there is nothing to check against.
    if (!(await ctx.auth.authorizationParams().catch(() => undefined))) return;
    const api = await qbo(ctx);
    await api.query('select * from CompanyInfo');
  },
  onEvent,
  sync: { customer: sync('customer'), invoice: sync('invoice'), payment: sync('payment') },
};
