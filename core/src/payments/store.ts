import type { Knex } from 'knex';
import type { Payment, PaymentListQuery } from '@uah/schemas';
import { notFound } from '../http/errors.js';
import { keysetAfter, toPage, type Page } from '../http/paging.js';
import { PaymentApplicationModel, PaymentModel, PaymentRefundModel } from './model.js';
import { toPayment } from './mapper.js';

export interface PaymentRows {
  row: PaymentModel;
  applications: PaymentApplicationModel[];
  refunds: PaymentRefundModel[];
}

export function rowsToPayment(rows: PaymentRows): Payment {
  return toPayment(rows.row, rows.applications, rows.refunds);
}

/** A payment with its applications and refunds; `lock` takes the payment row FOR UPDATE first. */
export async function loadPayment(db: Knex | Knex.Transaction, organizationId: string, id: string, lock = false): Promise<PaymentRows> {
  const q = PaymentModel.forOrganization(organizationId, db).findById(id);
  const row = await (lock ? q.forUpdate() : q);
  if (!row) throw notFound('payment', id);
  const [applications, refunds] = await Promise.all([
    PaymentApplicationModel.forOrganization(organizationId, db).where('paymentId', id).orderBy('id'),
    PaymentRefundModel.forOrganization(organizationId, db).where('paymentId', id).orderBy('id'),
  ]);
  return { row, applications, refunds };
}

/** Loads the children of many payments in two queries (lists). */
async function withChildren(db: Knex, organizationId: string, rows: PaymentModel[]): Promise<PaymentRows[]> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [applications, refunds] = await Promise.all([
    PaymentApplicationModel.forOrganization(organizationId, db).whereIn('paymentId', ids).orderBy('id'),
    PaymentRefundModel.forOrganization(organizationId, db).whereIn('paymentId', ids).orderBy('id'),
  ]);
  return rows.map((row) => ({ row, applications: applications.filter((a) => a.paymentId === row.id), refunds: refunds.filter((r) => r.paymentId === row.id) }));
}

export async function listPayments(db: Knex, organizationId: string, query: PaymentListQuery): Promise<Page<Payment>> {
  const limit = query.limit ?? 20;
  const q = PaymentModel.forOrganization(organizationId, db).limit(limit + 1);
  keysetAfter(q, query, 'payments.id');
  if (query.customerId) q.where('payments.customerId', query.customerId);
  if (query.status) q.where('payments.status', query.status);
  if (query.invoiceId) {
    q.whereExists(PaymentApplicationModel.forOrganization(organizationId, db).select(1).whereColumn('payment_applications.payment_id', 'payments.id').where('payment_applications.invoice_id', query.invoiceId));
  }
  const rows = await q;
  const page = toPage(rows, limit, (r) => r.id, (r) => r);
  const full = await withChildren(db, organizationId, page.data);
  return { data: full.map(rowsToPayment), nextCursor: page.nextCursor };
}
