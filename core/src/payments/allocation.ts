import type { Knex } from 'knex';
import type { CurrencyCode, Invoice } from '@uah/schemas';
import type { InvoiceService } from '../sales/invoice-service.js';
import { AppError, type FieldError } from '../http/errors.js';
import { fxDifference, type InvoiceLeg, type Money } from './postings.js';

/** What payments need of the invoices: the sales context's service, in the payment's transaction. */
export type InvoicesPort = Pick<InvoiceService, 'applyPayment' | 'unapplyPayment' | 'getForUpdate'>;

export interface RequestedApplication {
  invoiceId: string;
  amount: number;
}

const field = (path: string, message: string): FieldError => ({ field: path, in: 'body', message });

/** Duplicate invoices and a sum above `available` are refused before any invoice is read. */
export function checkApplicationSum(applications: RequestedApplication[], available: number, what: string): void {
  const seen = new Set<string>();
  applications.forEach((a, i) => {
    if (seen.has(a.invoiceId)) throw new AppError('VALIDATION_FAILED', `Invoice ${a.invoiceId} is listed twice.`, { errors: [field(`/applications/${i}/invoiceId`, 'listed twice')] });
    seen.add(a.invoiceId);
  });
  const sum = applications.reduce((s, a) => s + a.amount, 0);
  if (sum > available) {
    throw new AppError('APPLICATIONS_EXCEED_PAYMENT', `The applications add up to ${sum}, more than the ${available} ${what}.`, { errors: [field('/applications', `sum ${sum} exceeds ${available}`)] });
  }
}

/**
 * Locks the invoices (in id order, so two payments touching the same invoices cannot deadlock) and checks
 * that each can take its application: same organization and customer, same currency, issued and not
 * cancelled, and no more than its balance. Returns the invoices by id.
 */
export async function lockInvoicesFor(
  trx: Knex.Transaction,
  invoices: InvoicesPort,
  organizationId: string,
  applications: RequestedApplication[],
  expect: { customerId: string; currency: CurrencyCode | undefined },
): Promise<Map<string, Invoice>> {
  const order = applications.map((a, index) => ({ ...a, index })).sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1));
  const locked = new Map<string, Invoice>();
  for (const app of order) {
    const path = `/applications/${app.index}`;
    let invoice: Invoice;
    try {
      invoice = await invoices.getForUpdate(trx, organizationId, app.invoiceId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') {
        throw new AppError('UNPROCESSABLE', `No invoice ${app.invoiceId} in this organization.`, { errors: [field(`${path}/invoiceId`, 'no such invoice in this organization')] });
      }
      throw error;
    }
    if (invoice.customerId !== expect.customerId) {
      throw new AppError('UNPROCESSABLE', `Invoice ${app.invoiceId} belongs to another customer.`, { errors: [field(`${path}/invoiceId`, 'belongs to another customer')] });
    }
    if (expect.currency !== undefined && invoice.currency !== expect.currency) {
      throw new AppError('UNPROCESSABLE', `Invoice ${app.invoiceId} is in ${invoice.currency}, the payment in ${expect.currency}.`, { errors: [field(`${path}/invoiceId`, `invoice currency ${invoice.currency} differs`)] });
    }
    if (invoice.status === 'DRAFT' || invoice.status === 'CANCELLED') {
      throw new AppError('UNPROCESSABLE', `Invoice ${app.invoiceId} is ${invoice.status}: only issued invoices take payments.`, { errors: [field(`${path}/invoiceId`, `invoice is ${invoice.status}`)] });
    }
    if (app.amount > invoice.balance) {
      throw new AppError('PAYMENT_EXCEEDS_BALANCE', `${app.amount} is more than the balance ${invoice.balance} of invoice ${invoice.number ?? invoice.id}.`, { errors: [field(`${path}/amount`, `exceeds the invoice balance ${invoice.balance}`)] });
    }
    locked.set(invoice.id, invoice);
  }
  return locked;
}

/** The receivables legs of applying (or, with `unapply`, taking back) amounts from locked invoices. */
export function invoiceLegsFor(applications: RequestedApplication[], locked: Map<string, Invoice>, money: Money, unapply = false): InvoiceLeg[] {
  return applications.map((a) => {
    const invoice = locked.get(a.invoiceId);
    if (!invoice) throw new Error(`invoice ${a.invoiceId} was not locked`);
    const settled = invoice.total - invoice.balance;
    const settledBefore = unapply ? settled - a.amount : settled;
    return { invoiceId: a.invoiceId, customerId: invoice.customerId, label: invoice.number ?? invoice.id, amount: a.amount, fx: fxDifference(money, invoice.exchangeRate, a.amount, settledBefore) };
  });
}

export interface RefundSplit {
  credit: number;
  /** Per application row id: how much of it is refunded. */
  applications: Array<{ applicationId: string; invoiceId: string; amount: number }>;
}

/**
 * Splits a refund: first out of the payment's customer credit (money that settles nothing), then out of
 * its applications, latest first, so the invoices paid last reopen first.
 */
export function splitRefund(amount: number, unapplied: number, applications: Array<{ id: string; invoiceId: string; amount: number; amountRefunded: number; appliedAt: Date | string | null }>): RefundSplit {
  const credit = Math.min(amount, unapplied);
  let rest = amount - credit;
  const out: RefundSplit['applications'] = [];
  const latestFirst = applications.filter((a) => a.appliedAt !== null).sort((a, b) => (a.id < b.id ? 1 : -1));
  for (const app of latestFirst) {
    if (rest === 0) break;
    const take = Math.min(rest, app.amount - app.amountRefunded);
    if (take > 0) out.push({ applicationId: app.id, invoiceId: app.invoiceId, amount: take });
    rest -= take;
  }
  if (rest > 0) throw new Error(`refund of ${amount} cannot be split: ${rest} left over`);
  return { credit, applications: out };
}
