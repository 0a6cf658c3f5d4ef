import type { Knex } from 'knex';
import type { EventMetadata, Invoice } from '@uah/schemas';
import { AppError, unprocessable } from '../http/errors.js';
import { invalidTransition, type InvoiceStore } from './invoice-store.js';
import { toInvoice } from './mappers.js';
import { InvoiceModel } from './model.js';

/** Statuses of an issued invoice that still has something to pay. */
export const OPEN_STATUSES: ReadonlyArray<Invoice['status']> = ['SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE'];
const SETTLEABLE: ReadonlyArray<Invoice['status']> = [...OPEN_STATUSES, 'PAID'];

const SYSTEM: EventMetadata = { source: 'SYSTEM' };

function checkAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw unprocessable(`An amount must be a positive integer number of minor units, got ${amount}.`);
}

function requireIssued(row: InvoiceModel): void {
  if (!SETTLEABLE.includes(row.status)) {
    throw unprocessable(`Invoice ${row.number ?? row.id} is ${row.status}: only issued invoices take payments and credits.`);
  }
}

/** The status of an issued invoice with something left to pay, once its settlement has changed. */
function openStatus(row: InvoiceModel, amountPaid: number): Invoice['status'] {
  if (row.status === 'OVERDUE') return 'OVERDUE';
  if (amountPaid > 0) return 'PARTIALLY_PAID';
  return row.viewedAt ? 'VIEWED' : 'SENT';
}

export function createInvoiceSettlement(deps: { knex: Knex; store: InvoiceStore }) {
  const { knex, store } = deps;

  return {
    /** Payments (the payments context) settle part or all of the balance: `invoice.partially_paid` or `invoice.paid`. */
    async applyPayment(trx: Knex.Transaction, organizationId: string, invoiceId: string, amount: number, meta: EventMetadata): Promise<Invoice> {
      checkAmount(amount);
      const row = await store.lock(organizationId, invoiceId, trx);
      requireIssued(row);
      if (amount > row.balance) {
        throw new AppError('PAYMENT_EXCEEDS_BALANCE', `${amount} is more than the balance ${row.balance} of invoice ${row.number}.`, { errors: [{ field: '/amount', in: 'body', message: `exceeds the invoice balance ${row.balance}` }] });
      }
      const amountPaid = row.amountPaid + amount;
      const balance = row.balance - amount;
      const paid = balance === 0;
      const patch: Partial<InvoiceModel> = { amountPaid, balance, status: paid ? 'PAID' : openStatus(row, amountPaid), ...(paid ? { paidAt: new Date() } : {}) };
      return store.change(trx, row, patch, paid ? 'invoice.paid' : 'invoice.partially_paid', meta);
    },

    /** A refund takes a payment back: the invoice reopens (`invoice.updated`, with the previous figures). */
    async unapplyPayment(trx: Knex.Transaction, organizationId: string, invoiceId: string, amount: number, meta: EventMetadata): Promise<Invoice> {
      checkAmount(amount);
      const row = await store.lock(organizationId, invoiceId, trx);
      requireIssued(row);
      if (amount > row.amountPaid) throw unprocessable(`${amount} is more than the ${row.amountPaid} paid on invoice ${row.number}.`);
      const amountPaid = row.amountPaid - amount;
      const patch: Partial<InvoiceModel> = { amountPaid, balance: row.balance + amount, status: openStatus(row, amountPaid), paidAt: null };
      return store.change(trx, row, patch, 'invoice.updated', meta);
    },

    /** A credit note lowers the balance; crediting the whole balance settles the invoice (`invoice.paid`). */
    async applyCredit(trx: Knex.Transaction, row: InvoiceModel, amount: number, meta: EventMetadata): Promise<Invoice> {
      checkAmount(amount);
      requireIssued(row);
      const balance = row.balance - amount;
      const paid = balance === 0;
      const patch: Partial<InvoiceModel> = { amountCredited: row.amountCredited + amount, balance, ...(paid ? { status: 'PAID', paidAt: new Date() } : {}) };
      return store.change(trx, row, patch, paid ? 'invoice.paid' : 'invoice.updated', meta);
    },

    /** The customer opened the invoice: SENT becomes VIEWED (`invoice.viewed`); later statuses only note the time once. */
    async view(organizationId: string, invoiceId: string, meta: EventMetadata): Promise<Invoice> {
      return knex.transaction(async (trx) => {
        const row = await store.lock(organizationId, invoiceId, trx);
        if (row.status === 'DRAFT' || row.status === 'CANCELLED') throw invalidTransition('invoice', row.status, SETTLEABLE as string[]);
        if (row.viewedAt) return toInvoice(row);
        const patch: Partial<InvoiceModel> = { viewedAt: new Date(), ...(row.status === 'SENT' ? { status: 'VIEWED' } : {}) };
        return store.change(trx, row, patch, 'invoice.viewed', meta);
      });
    },

    /**
     * The overdue job: every open invoice (any organization) whose due date is before `asOf` becomes OVERDUE,
     * each in a transaction of its own with its `invoice.overdue` event. Returns the invoices it marked.
     */
    async markOverdue(asOf: string): Promise<Invoice[]> {
      const candidates = await knex('invoices')
        .select<Array<{ id: string; organizationId: string }>>('id', 'organization_id')
        .whereIn('status', ['SENT', 'VIEWED', 'PARTIALLY_PAID'])
        .where('due_date', '<', asOf)
        .orderBy('id');
      const marked: Invoice[] = [];
      for (const { id, organizationId } of candidates) {
        const invoice = await knex.transaction(async (trx) => {
          const row = await store.lock(organizationId, id, trx);
          // Re-read under the lock: a payment may have settled it since the scan.
          if (!['SENT', 'VIEWED', 'PARTIALLY_PAID'].includes(row.status) || row.dueDate >= asOf) return null;
          return store.change(trx, row, { status: 'OVERDUE' }, 'invoice.overdue', SYSTEM);
        });
        if (invoice) marked.push(invoice);
      }
      return marked;
    },

    async listOpen(organizationId: string, asOf: string): Promise<Invoice[]> {
      const rows = await InvoiceModel.forOrganization(organizationId, knex).whereIn('status', OPEN_STATUSES as string[]).where('balance', '>', 0).where('issue_date', '<=', asOf).orderBy('id');
      return rows.map(toInvoice);
    },
  };
}

export type InvoiceSettlement = ReturnType<typeof createInvoiceSettlement>;
