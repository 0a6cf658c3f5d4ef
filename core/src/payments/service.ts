import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, EventType, Invoice, Payment, PaymentApply, PaymentComplete, PaymentCreate, PaymentDisputeCreate, PaymentDisputeResolve, PaymentDryRun, PaymentFail, PaymentListQuery, PaymentRefundCreate } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError } from '../http/errors.js';
import type { Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { LedgerService } from '../ledger/service.js';
import { checkApplicationSum, lockInvoicesFor, invoiceLegsFor, type InvoicesPort } from './allocation.js';
import { receiptEntry, creditApplicationEntry, type Money } from './postings.js';
import { PaymentApplicationModel, PaymentModel } from './model.js';
import { listPayments, loadPayment, rowsToPayment, type PaymentRows } from './store.js';
import { dateOnly } from './mapper.js';
import { normaliseRate, referenceNotFound, today, utcDate } from './inputs.js';
import { refundPayment } from './refund.js';
import { dryRunInTransaction } from './dry-run.js';
import { openDispute, resolveDispute, type DisputeContext } from './dispute.js';

export interface PaymentService {
  /** Records a payment; COMPLETED (the default) posts it and applies it to its invoices at once. */
  create(organizationId: string, input: PaymentCreate, meta: EventMetadata): Promise<Payment>;
  /** Everything `create` would do, validated the same way, rolled back: the payment, its entry and its events. */
  dryRun(organizationId: string, input: PaymentCreate, meta: EventMetadata): Promise<PaymentDryRun>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Payment>;
  list(organizationId: string, query: PaymentListQuery): Promise<Page<Payment>>;
  /** PENDING → PROCESSING. */
  process(organizationId: string, id: string, meta: EventMetadata): Promise<Payment>;
  /** PENDING | PROCESSING → COMPLETED: posts the payment and applies its requested applications. */
  complete(organizationId: string, id: string, input: PaymentComplete, meta: EventMetadata): Promise<Payment>;
  /** `create` in the caller's transaction (bank reconciliation records a payment with its match). */
  createInTransaction(trx: Knex.Transaction, organizationId: string, input: PaymentCreate, meta: EventMetadata): Promise<Payment>;
  /** `complete` in the caller's transaction. */
  completeInTransaction(trx: Knex.Transaction, organizationId: string, id: string, input: PaymentComplete, meta: EventMetadata): Promise<Payment>;
  /** PENDING | PROCESSING → FAILED. */
  fail(organizationId: string, id: string, input: PaymentFail, meta: EventMetadata): Promise<Payment>;
  /** Refunds a COMPLETED payment in full or in part (REFUNDED once nothing is left). */
  refund(organizationId: string, id: string, input: PaymentRefundCreate, meta: EventMetadata): Promise<Payment>;
  /** Applies the customer credit left on a COMPLETED payment to invoices. */
  apply(organizationId: string, id: string, input: PaymentApply, meta: EventMetadata): Promise<Payment>;
  /** COMPLETED → DISPUTED: the processor withdrew the disputed amount (Dr disputed funds, Cr deposit); emits payment.disputed. */
  dispute(organizationId: string, id: string, input: PaymentDisputeCreate, meta: EventMetadata): Promise<Payment>;
  /** Closes the OPEN dispute, WON (funds back) or LOST (taken back from the payment like a refund); emits payment.dispute_closed. */
  resolveDispute(organizationId: string, id: string, input: PaymentDisputeResolve, meta: EventMetadata): Promise<Payment>;
}

export interface PaymentServiceDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: CustomerService;
  ledger: Pick<LedgerService, 'post'>;
  invoices: InvoicesPort;
}

const STATUS_EVENT: Record<string, EventType> = { PENDING: 'payment.initiated', PROCESSING: 'payment.processing', COMPLETED: 'payment.succeeded', FAILED: 'payment.failed' };

export function createPaymentService(deps: PaymentServiceDeps): PaymentService {
  const { knex, events, ledger, invoices } = deps;

  async function record(trx: Knex.Transaction, type: EventType, payment: Payment, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void> {
    await events.append(trx, [{ type, aggregateType: 'payment', aggregateId: payment.id, organizationId: payment.organizationId, data: { object: payment, ...(previousAttributes ? { previousAttributes } : {}) } }], meta);
  }

  function moneyOf(row: { currency: CurrencyCode; exchangeRate: string | null }, base: CurrencyCode): Money {
    return { currency: row.currency, exchangeRate: row.exchangeRate, baseCurrency: base };
  }

  /**
   * Posts a payment and applies it to its (locked, checked) invoices. The entry comes first, then the
   * payment's own event, then the invoices' events, all in the caller's transaction.
   */
  async function post(trx: Knex.Transaction, rows: PaymentRows, base: CurrencyCode, meta: EventMetadata, event: { type: EventType; previous?: Record<string, unknown>; locked?: Map<string, Invoice> }): Promise<Payment> {
    const { row } = rows;
    const organizationId = row.organizationId;
    const requested = rows.applications.map((a) => ({ invoiceId: a.invoiceId, amount: a.amount }));
    // A pending payment's invoices are checked again on completion: their balances may have moved since.
    const locked = event.locked ?? (await lockInvoicesFor(trx, invoices, organizationId, requested, { customerId: row.customerId, currency: row.currency }));
    const money = moneyOf(row, base);
    const applied = requested.reduce((s, a) => s + a.amount, 0);
    const entry = receiptEntry(
      { paymentId: row.id, date: dateOnly(row.date), memo: `Payment ${row.reference ?? row.id} (${row.method})`, deposit: row.depositAccount, net: row.amount - row.fees, fees: row.fees, invoices: invoiceLegsFor(requested, locked, money), credit: row.amount - applied, customerId: row.customerId },
      money,
    );
    const journalEntry = await ledger.post(trx, organizationId, entry, meta);
    const now = new Date();
    const updated = await PaymentModel.forOrganization(organizationId, trx).patchAndFetchById(row.id, { status: 'COMPLETED', journalEntryId: journalEntry.id, processedAt: row.processedAt ?? now, updatedAt: now, version: row.version + 1 });
    if (rows.applications.length > 0) await PaymentApplicationModel.forOrganization(organizationId, trx).where('paymentId', row.id).patch({ appliedAt: now } as Partial<PaymentApplicationModel>);
    const after = await loadPayment(trx, organizationId, updated.id);
    const payment = rowsToPayment(after);
    await record(trx, event.type, payment, meta, event.previous);
    for (const app of [...requested].sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1))) {
      await invoices.applyPayment(trx, organizationId, app.invoiceId, app.amount, meta);
    }
    return payment;
  }

  async function createIn(trx: Knex.Transaction, organizationId: string, base: CurrencyCode, input: PaymentCreate, meta: EventMetadata): Promise<Payment> {
    const customer = await deps.customers.get(organizationId, input.customerId, trx).catch(referenceNotFound('/customerId', 'customer', input.customerId));
    const applications = input.applications ?? [];
    checkApplicationSum(applications, input.amount, 'of the payment');
    // Checked now whatever the status, so a pending payment that could never be applied is refused at once.
    const locked = await lockInvoicesFor(trx, invoices, organizationId, applications, { customerId: customer.id, currency: input.currency });
    const currency = input.currency ?? locked.get(applications[0]?.invoiceId ?? '')?.currency ?? customer.currency;
    applications.forEach((a, i) => {
      const invoiceCurrency = locked.get(a.invoiceId)?.currency;
      if (invoiceCurrency !== currency) throw new AppError('UNPROCESSABLE', `Invoice ${a.invoiceId} is in ${invoiceCurrency}, the payment in ${currency}: one payment settles invoices of one currency.`, { errors: [{ field: `/applications/${i}/invoiceId`, in: 'body', message: `invoice currency ${invoiceCurrency} differs` }] });
    });
    const fees = input.fees ?? 0;
    if (fees > input.amount) throw new AppError('VALIDATION_FAILED', `The fees ${fees} exceed the amount ${input.amount}.`, { errors: [{ field: '/fees', in: 'body', message: 'exceeds the amount' }] });
    const status = input.status ?? 'COMPLETED';
    const row = await PaymentModel.forOrganization(organizationId, trx).insertAndFetch({
      id: newId('pay'),
      organizationId,
      customerId: customer.id,
      method: input.method,
      status: status === 'COMPLETED' ? 'PENDING' : status,
      currency,
      exchangeRate: normaliseRate(input.exchangeRate, currency, base, '/exchangeRate'),
      amount: input.amount,
      fees,
      depositAccount: input.depositAccount ?? 'bank',
      date: input.date ?? (input.processedAt ? utcDate(input.processedAt) : today()),
      processedAt: input.processedAt ? new Date(input.processedAt) : null,
      reference: input.reference ?? null,
      description: input.description ?? null,
      failureReason: status === 'FAILED' ? 'Recorded as failed' : null,
      metadata: input.metadata ?? {},
    } as Partial<PaymentModel>);
    if (applications.length > 0) {
      await PaymentApplicationModel.forOrganization(organizationId, trx).insert(
        applications.map((a) => ({ id: newId('papp'), organizationId, paymentId: row.id, invoiceId: a.invoiceId, amount: a.amount, appliedAt: null })) as Array<Partial<PaymentApplicationModel>>,
      );
    }
    const rows = await loadPayment(trx, organizationId, row.id);
    if (status === 'COMPLETED') return post(trx, rows, base, meta, { type: 'payment.succeeded', locked });
    const payment = rowsToPayment(rows);
    await record(trx, STATUS_EVENT[status] ?? 'payment.initiated', payment, meta);
    return payment;
  }

  /** Completes a locked PENDING or PROCESSING payment: fields of `input` replace those recorded, then it is posted. */
  async function completeLocked(trx: Knex.Transaction, rows: PaymentRows, base: CurrencyCode, input: PaymentComplete, meta: EventMetadata): Promise<Payment> {
    const { row } = rows;
    const organizationId = row.organizationId;
    const id = row.id;
    const fees = input.fees ?? row.fees;
    if (fees > row.amount) throw new AppError('VALIDATION_FAILED', `The fees ${fees} exceed the amount ${row.amount}.`, { errors: [{ field: '/fees', in: 'body', message: 'exceeds the amount' }] });
    const processedAt = input.processedAt ? new Date(input.processedAt) : new Date();
    const patch: Partial<PaymentModel> = {
      fees,
      processedAt,
      date: input.date ?? utcDate(processedAt),
      exchangeRate: input.exchangeRate !== undefined ? normaliseRate(input.exchangeRate, row.currency, base, '/exchangeRate') : row.exchangeRate,
      reference: input.reference ?? row.reference,
    };
    const patched = await PaymentModel.forOrganization(organizationId, trx).patchAndFetchById(id, patch);
    return post(trx, { ...rows, row: patched }, base, meta, { type: 'payment.succeeded', previous: { status: row.status } });
  }

  /** Runs `change` on the locked payment if its status is one of `from`. */
  async function transition<T>(organizationId: string, id: string, from: string[], action: string, change: (trx: Knex.Transaction, rows: PaymentRows, base: CurrencyCode) => Promise<T>): Promise<T> {
    const base = await deps.organizations.baseCurrency(organizationId);
    return knex.transaction(async (trx) => {
      const rows = await loadPayment(trx, organizationId, id, true);
      if (!from.includes(rows.row.status)) throw new AppError('INVALID_STATE_TRANSITION', `A ${rows.row.status} payment cannot be ${action}; only ${from.join(' or ')} payments can.`);
      return change(trx, rows, base);
    });
  }

  async function setStatus(trx: Knex.Transaction, rows: PaymentRows, status: 'PROCESSING' | 'FAILED', patch: Partial<PaymentModel>, meta: EventMetadata): Promise<Payment> {
    const { row } = rows;
    await PaymentModel.forOrganization(row.organizationId, trx).patchAndFetchById(row.id, { ...patch, status, updatedAt: new Date(), version: row.version + 1 });
    const payment = rowsToPayment(await loadPayment(trx, row.organizationId, row.id));
    await record(trx, status === 'FAILED' ? 'payment.failed' : 'payment.processing', payment, meta, { status: row.status });
    return payment;
  }

  function disputeContext(trx: Knex.Transaction, rows: PaymentRows, base: CurrencyCode, meta: EventMetadata): DisputeContext {
    return { trx, rows, money: moneyOf(rows.row, base), meta, ledger, invoices, record: (type, payment, previous) => record(trx, type, payment, meta, previous) };
  }

  return {
    async create(organizationId, input, meta) {
      const base = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction((trx) => createIn(trx, organizationId, base, input, meta));
    },

    async dryRun(organizationId, input, meta) {
      const base = await deps.organizations.baseCurrency(organizationId);
      return dryRunInTransaction(knex, (trx) => createIn(trx, organizationId, base, input, meta));
    },

    async get(organizationId, id, trx) {
      return rowsToPayment(await loadPayment(trx ?? knex, organizationId, id));
    },

    list(organizationId, query) {
      return listPayments(knex, organizationId, query);
    },

    process(organizationId, id, meta) {
      return transition(organizationId, id, ['PENDING'], 'marked processing', (trx, rows) => setStatus(trx, rows, 'PROCESSING', {}, meta));
    },

    fail(organizationId, id, input, meta) {
      return transition(organizationId, id, ['PENDING', 'PROCESSING'], 'failed', (trx, rows) => setStatus(trx, rows, 'FAILED', { failureReason: input.reason ?? 'Payment failed' }, meta));
    },

    async createInTransaction(trx, organizationId, input, meta) {
      return createIn(trx, organizationId, await deps.organizations.baseCurrency(organizationId), input, meta);
    },

    async completeInTransaction(trx, organizationId, id, input, meta) {
      const rows = await loadPayment(trx, organizationId, id, true);
      if (!['PENDING', 'PROCESSING'].includes(rows.row.status)) throw new AppError('INVALID_STATE_TRANSITION', `A ${rows.row.status} payment cannot be completed; only PENDING or PROCESSING payments can.`);
      return completeLocked(trx, rows, await deps.organizations.baseCurrency(organizationId), input, meta);
    },

    complete(organizationId, id, input, meta) {
      return transition(organizationId, id, ['PENDING', 'PROCESSING'], 'completed', (trx, rows, base) => completeLocked(trx, rows, base, input, meta));
    },

    dispute(organizationId, id, input, meta) {
      return transition(organizationId, id, ['COMPLETED'], 'disputed', (trx, rows, base) => openDispute(disputeContext(trx, rows, base, meta), input));
    },

    resolveDispute(organizationId, id, input, meta) {
      return transition(organizationId, id, ['DISPUTED'], 'resolved as a dispute', (trx, rows, base) => resolveDispute(disputeContext(trx, rows, base, meta), input));
    },

    refund(organizationId, id, input, meta) {
      return transition(organizationId, id, ['COMPLETED'], 'refunded', (trx, rows, base) =>
        refundPayment({ trx, rows, money: moneyOf(rows.row, base), input, meta, ledger, invoices, record: (payment, previous) => record(trx, 'payment.refunded', payment, meta, previous) }),
      );
    },

    apply(organizationId, id, input, meta) {
      return transition(organizationId, id, ['COMPLETED'], 'applied', async (trx, rows, base) => {
        const current = rowsToPayment(rows);
        checkApplicationSum(input.applications, current.unappliedAmount, 'of customer credit left on the payment');
        const locked = await lockInvoicesFor(trx, invoices, organizationId, input.applications, { customerId: rows.row.customerId, currency: rows.row.currency });
        const money = moneyOf(rows.row, base);
        const entry = creditApplicationEntry({ paymentId: id, date: input.date ?? today(), memo: `Credit of payment ${rows.row.reference ?? id} applied`, invoices: invoiceLegsFor(input.applications, locked, money) }, money);
        await ledger.post(trx, organizationId, entry, meta);
        const now = new Date();
        await PaymentApplicationModel.forOrganization(organizationId, trx).insert(
          input.applications.map((a) => ({ id: newId('papp'), organizationId, paymentId: id, invoiceId: a.invoiceId, amount: a.amount, appliedAt: now })) as Array<Partial<PaymentApplicationModel>>,
        );
        await PaymentModel.forOrganization(organizationId, trx).patchAndFetchById(id, { updatedAt: now, version: rows.row.version + 1 });
        const payment = rowsToPayment(await loadPayment(trx, organizationId, id));
        await record(trx, 'payment.applied', payment, meta, { appliedAmount: current.appliedAmount, unappliedAmount: current.unappliedAmount });
        for (const app of [...input.applications].sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1))) {
          await invoices.applyPayment(trx, organizationId, app.invoiceId, app.amount, meta);
        }
        return payment;
      });
    },
  };
}
