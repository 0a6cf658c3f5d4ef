import type { Knex } from 'knex';
import type { BillPayment, EventMetadata, Invoice, Payment, PaymentStatus, Payout } from '@uah/schemas';
import type { PaymentService } from '../../payments/service.js';
import type { InvoiceService } from '../../sales/invoice-service.js';
import type { CustomerService } from '../../customers/service.js';
import { unprocessable } from '../../http/errors.js';
import { readAllPages } from '../../http/paging.js';
import type { OpenItem, OpenItemKind } from './matcher.js';

/** The bank line an item is settled with. */
export interface SettlingLine {
  /** The bank transaction's id: what caused the settlement. */
  id: string;
  /** Signed minor units: > 0 money in. */
  amount: number;
  currency: string;
  date: string;
  description: string;
  reference: string | null;
  sourceId: string;
  /** The ledger account the line's bank account is booked on (what money out is paid from). */
  ledgerAccountId: string;
}

/**
 * What settling an item recorded or found: the payment that took money in, the processor payout that
 * brought many payments in at once, or the bill payment that paid money out. The bank line is linked to
 * it, once.
 */
export type Settlement = { kind: 'payment'; id: string; payment: Payment } | { kind: 'bill_payment'; id: string; billPayment: BillPayment } | { kind: 'payout'; id: string; payout: Payout };

/** The settlements already linked to a bank line of the organization, read by reconciliation for the sources. */
export interface SettlementLinks {
  linked(kind: Settlement['kind']): Promise<Set<string>>;
}

/**
 * Where open items come from, and how one is settled by a bank line. Each source belongs to another
 * context and reaches it through that context's service. Credits are matched against payments and
 * invoices (here); debits against bills and bill payments, by the sources the purchasing context offers
 * (`extraSources` of the banking context).
 */
export interface OpenItemSource {
  kind: OpenItemKind;
  list(organizationId: string, links: SettlementLinks): Promise<OpenItem[]>;
  /** One item by id (manual matches), or null. */
  find(organizationId: string, id: string, trx: Knex.Transaction): Promise<OpenItem | null>;
  /** Settles the item with the line in the caller's transaction; returns what records it. */
  settle(trx: Knex.Transaction, organizationId: string, item: OpenItem, line: SettlingLine, meta: EventMetadata): Promise<Settlement>;
}

const paid = (payment: Payment): Settlement => ({ kind: 'payment', id: payment.id, payment });

export interface SourceDeps {
  payments: Pick<PaymentService, 'list' | 'get' | 'createInTransaction' | 'completeInTransaction'>;
  invoices: Pick<InvoiceService, 'listOpen' | 'get' | 'getMany'>;
  customers: Pick<CustomerService, 'get'>;
}

function allPayments(payments: SourceDeps['payments'], organizationId: string, status: PaymentStatus): Promise<Payment[]> {
  return readAllPages((cursor) => payments.list(organizationId, { limit: 100, status, ...(cursor ? { cursor } : {}) }));
}

function nameCache(customers: SourceDeps['customers'], organizationId: string) {
  const names = new Map<string, Promise<string | null>>();
  return (id: string): Promise<string | null> => {
    let name = names.get(id);
    if (!name) names.set(id, (name = customers.get(organizationId, id).then((c) => c.displayName, () => null)));
    return name;
  };
}

const paymentItem = (kind: OpenItemKind, p: Payment, party: string | null, invoiceNumbers: string[] = []): OpenItem => ({
  kind, id: p.id, direction: 'CREDIT', amount: p.amount - p.fees, currency: p.currency, date: p.date,
  references: [p.reference, p.id, ...invoiceNumbers].filter((r): r is string => !!r), party, label: `Payment ${p.reference ?? p.id} (${p.status})`,
});

/** Pending and processing payments: money announced, each possibly for invoices it will settle. */
async function pendingPayments(payments: SourceDeps['payments'], organizationId: string): Promise<Payment[]> {
  return [...(await allPayments(payments, organizationId, 'PENDING')), ...(await allPayments(payments, organizationId, 'PROCESSING'))];
}

const invoiceItem = (i: Invoice, party: string | null): OpenItem => ({
  kind: 'INVOICE', id: i.id, direction: 'CREDIT', amount: i.balance, currency: i.currency, date: i.dueDate,
  references: [i.number ?? ''].filter(Boolean), party, label: `Invoice ${i.number ?? i.id} (balance ${i.balance})`,
});

export function createOpenItemSources(deps: SourceDeps): OpenItemSource[] {
  const { payments, invoices } = deps;
  const pending: OpenItemSource = {
    kind: 'PENDING_PAYMENT',
    async list(organizationId) {
      const name = nameCache(deps.customers, organizationId);
      const rows = await pendingPayments(payments, organizationId);
      // A payer quotes the invoice, not our payment id: the invoices a pending payment is for are its references too.
      const numbers = new Map((await invoices.getMany(organizationId, [...new Set(rows.flatMap((p) => p.applications.map((a) => a.invoiceId)))])).map((i) => [i.id, i.number ?? '']));
      return Promise.all(rows.map(async (p) => paymentItem('PENDING_PAYMENT', p, await name(p.customerId), p.applications.map((a) => numbers.get(a.invoiceId) ?? ''))));
    },
    async find(organizationId, id, trx) {
      const p = await payments.get(organizationId, id, trx).catch(() => null);
      return p && (p.status === 'PENDING' || p.status === 'PROCESSING') ? paymentItem('PENDING_PAYMENT', p, null) : null;
    },
    settle: async (trx, organizationId, item, line, meta) => paid(await payments.completeInTransaction(trx, organizationId, item.id, { date: line.date, processedAt: `${line.date}T00:00:00.000Z` }, meta)),
  };
  const completed: OpenItemSource = {
    kind: 'PAYMENT',
    async list(organizationId, links) {
      const name = nameCache(deps.customers, organizationId);
      const reconciled = await links.linked('payment');
      const rows = (await allPayments(payments, organizationId, 'COMPLETED')).filter((p) => p.depositAccount === 'bank' && !reconciled.has(p.id));
      return Promise.all(rows.map(async (p) => paymentItem('PAYMENT', p, await name(p.customerId))));
    },
    async find(organizationId, id, trx) {
      const p = await payments.get(organizationId, id, trx).catch(() => null);
      return p && p.status === 'COMPLETED' && p.depositAccount === 'bank' ? paymentItem('PAYMENT', p, null) : null;
    },
    // Already posted to the bank: reconciling it only links the bank line.
    settle: async (trx, organizationId, item) => paid(await payments.get(organizationId, item.id, trx)),
  };
  const open: OpenItemSource = {
    kind: 'INVOICE',
    async list(organizationId) {
      const name = nameCache(deps.customers, organizationId);
      // An invoice a pending payment is already for is expected through that payment, not twice.
      const announced = new Set((await pendingPayments(payments, organizationId)).flatMap((p) => p.applications.map((a) => a.invoiceId)));
      const rows = (await invoices.listOpen(organizationId, '9999-12-31')).filter((i) => !announced.has(i.id));
      return Promise.all(rows.map(async (i) => invoiceItem(i, await name(i.customerId))));
    },
    async find(organizationId, id, trx) {
      const i = await invoices.get(organizationId, id, trx).catch(() => null);
      if (!i || i.balance <= 0 || ['DRAFT', 'CANCELLED', 'PAID'].includes(i.status)) return null;
      for (const status of ['PENDING', 'PROCESSING'] as const) {
        const [announced] = (await payments.list(organizationId, { invoiceId: id, status, limit: 1 })).data;
        if (announced) throw unprocessable(`Invoice ${i.number ?? id} is expected through ${status} payment ${announced.id}: match the bank transaction to that payment.`, [{ field: '/invoiceId', in: 'body', message: 'a pending payment is for it' }]);
      }
      return invoiceItem(i, null);
    },
    async settle(trx, organizationId, item, line, meta) {
      const invoice = await invoices.get(organizationId, item.id, trx);
      return paid(await payments.createInTransaction(trx, organizationId, {
        customerId: invoice.customerId, amount: line.amount, currency: invoice.currency, method: 'BANK_TRANSFER', date: line.date,
        reference: (line.reference ?? line.sourceId).slice(0, 200), description: line.description.slice(0, 1000),
        ...(invoice.exchangeRate ? { exchangeRate: invoice.exchangeRate } : {}),
        applications: [{ invoiceId: invoice.id, amount: Math.min(line.amount, invoice.balance) }],
        metadata: { bankTransactionId: line.id },
      }, meta));
    },
  };
  return [pending, completed, open];
}
