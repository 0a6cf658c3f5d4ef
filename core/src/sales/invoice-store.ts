import type { Knex } from 'knex';
import type { EventMetadata, EventType, Invoice } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import { changedAttributes } from '../catalog/changes.js';
import { toInvoice } from './mappers.js';
import { InvoiceModel } from './model.js';

/** Reads, locks, changes and records invoices; every write of the invoice services goes through it. */
export interface InvoiceStore {
  find(organizationId: string, id: string, trx: Knex | Knex.Transaction): Promise<InvoiceModel>;
  /** The row, locked until the transaction ends: changes to one invoice are serialized. */
  lock(organizationId: string, id: string, trx: Knex.Transaction): Promise<InvoiceModel>;
  /** Whether an invoice of the organization already has this number (an imported number is checked before it is used). */
  numberTaken(organizationId: string, number: string, trx: Knex | Knex.Transaction): Promise<boolean>;
  /** Applies `patch`, appends `type` with the changed attributes, and returns the invoice after the change. */
  change(trx: Knex.Transaction, row: InvoiceModel, patch: Partial<InvoiceModel>, type: EventType, meta: EventMetadata): Promise<Invoice>;
  record(trx: Knex.Transaction, type: EventType, invoice: Invoice, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void>;
}

export function invalidTransition(what: string, status: string, allowed: string[]): AppError {
  return new AppError('INVALID_STATE_TRANSITION', `A ${status} ${what} cannot be changed this way; only ${allowed.join(', ')} ${what}s can.`);
}

export function createInvoiceStore(events: EventStore): InvoiceStore {
  const store: InvoiceStore = {
    async find(organizationId, id, trx) {
      const row = await InvoiceModel.findInOrganization(organizationId, id, 'invoice', trx);
      return row;
    },

    async lock(organizationId, id, trx) {
      const row = await InvoiceModel.findInOrganization(organizationId, id, 'invoice', trx, { forUpdate: true });
      return row;
    },

    async numberTaken(organizationId, number, trx) {
      return (await InvoiceModel.forOrganization(organizationId, trx).where('number', number).first()) !== undefined;
    },

    async change(trx, row, patch, type, meta) {
      const before = toInvoice(row);
      const updated = await InvoiceModel.forOrganization(row.organizationId, trx).patchAndFetchById(row.id, { ...patch, updatedAt: new Date() });
      const after = toInvoice(updated);
      await store.record(trx, type, after, meta, changedAttributes(before, after));
      return after;
    },

    async record(trx, type, invoice, meta, previousAttributes) {
      const data = { object: invoice, ...(previousAttributes && Object.keys(previousAttributes).length > 0 ? { previousAttributes } : {}) };
      await events.append(trx, [{ type, aggregateType: 'invoice', aggregateId: invoice.id, organizationId: invoice.organizationId, data }], meta);
    },
  };
  return store;
}
