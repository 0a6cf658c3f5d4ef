import type { Knex } from 'knex';
import type { Account, BillPay, BillPayment, DocumentDryRun, EventMetadata } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput } from '../ledger/service.js';
import { findAccount } from '../catalog/accounts.js';
import { fetchPage, type Page, type PageQuery } from '../http/paging.js';
import { todayUtc } from '../sales/dates.js';
import { invalidTransition, toBill, toBillPayment } from './mappers.js';
import { SUBLEDGER_KEYS } from './lines.js';
import { BillModel, BillPaymentModel } from './model.js';

export interface BillPaymentService {
  /** Pays (part of) a bill: Dr payables naming the bill and vendor, Cr the account paid from; `bill.paid`. */
  pay(organizationId: string, billId: string, input: BillPay, meta: EventMetadata): Promise<BillPayment>;
  /** The same in the CALLER's transaction, for another context that pays a bill as part of its own change (a bank debit reconciled with it). */
  payInTransaction(trx: Knex.Transaction, organizationId: string, billId: string, input: BillPay, meta: EventMetadata): Promise<BillPayment>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<BillPayment>;
  preview(organizationId: string, billId: string, input: BillPay, meta: EventMetadata): Promise<DocumentDryRun>;
  /** Every payment of the organization's bills, oldest first, each with its bill as it stands now. */
  list(organizationId: string, query: PageQuery & { billId?: string }): Promise<Page<BillPayment>>;
}

interface PaymentPlan {
  payment: BillPaymentModel;
  billPatch: Partial<BillModel>;
  entry: PostEntryInput;
}

/** The account a bill is paid from: an active ASSET (bank, cash) or LIABILITY (credit card) account. */
export async function paidFromAccount(ledger: Pick<LedgerService, 'accounts' | 'accountByKey'>, organizationId: string, id: string | undefined, trx: Knex.Transaction): Promise<Account> {
  if (id === undefined) return ledger.accountByKey(organizationId, 'bank', trx);
  const account = await findAccount(ledger, organizationId, id, trx);
  if (!account || !account.active || (account.type !== 'ASSET' && account.type !== 'LIABILITY') || SUBLEDGER_KEYS.has(account.systemKey ?? '')) {
    throw unprocessable(`Account ${id} is not an active ASSET or LIABILITY account of this organization that can pay.`, [{ field: '/paidFromAccountId', in: 'body', message: 'must be an active ASSET or LIABILITY account, not inventory, payables or another subledger account' }]);
  }
  return account;
}

export function createBillPaymentService(deps: { knex: Knex; events: EventStore; ledger: Pick<LedgerService, 'post' | 'preview' | 'accounts' | 'accountByKey'> }): BillPaymentService {
  const { knex, ledger } = deps;

  async function plan(trx: Knex.Transaction, bill: BillModel, input: BillPay): Promise<PaymentPlan> {
    const balance = Number(bill.balance);
    if (bill.status === 'PAID') throw invalidTransition('bill', bill.status, ['OPEN', 'PARTIALLY_PAID']);
    const amount = input.amount ?? balance;
    if (amount > balance) throw new AppError('PAYMENT_EXCEEDS_BALANCE', `The bill's balance is ${balance}; a payment of ${amount} is more.`, { errors: [{ field: '/amount', in: 'body', message: 'more than the bill balance' }] });
    const billDate = toBill(bill).billDate;
    const date = input.date ?? todayUtc();
    if (date < billDate) throw unprocessable(`The payment date ${date} is before the bill date ${billDate}.`, [{ field: '/date', in: 'body', message: 'before the bill date' }]);
    const account = await paidFromAccount(ledger, bill.organizationId, input.paidFromAccountId, trx);
    const id = newId('bpay');
    const paid = Number(bill.amountPaid) + amount;
    const now = new Date();
    const payment = {
      id, organizationId: bill.organizationId, billId: bill.id, vendorId: bill.vendorId, amount, currency: bill.currency, date, paidFromAccountId: account.id,
      reference: input.reference ?? null, journalEntryId: null, createdAt: now,
    } as BillPaymentModel;
    const billPatch: Partial<BillModel> = { amountPaid: paid, balance: Number(bill.total) - paid, status: paid === Number(bill.total) ? 'PAID' : 'PARTIALLY_PAID', paidAt: paid === Number(bill.total) ? now : null, updatedAt: now };
    const entry: PostEntryInput = {
      date, currency: bill.currency, memo: `Payment of bill${bill.vendorReference ? ` ${bill.vendorReference}` : ''}${input.reference ? ` (${input.reference})` : ''}`, source: { type: 'bill_payment', id },
      lines: [
        { account: { key: 'payables' }, direction: 'DEBIT', amount, reference: { billId: bill.id, vendorId: bill.vendorId } },
        { account: { id: account.id }, direction: 'CREDIT', amount },
      ],
    };
    return { payment, billPatch, entry };
  }

  const event = (payment: BillPayment) => ({ type: 'bill.paid' as const, aggregateType: 'bill', aggregateId: payment.billId, organizationId: payment.organizationId, data: { object: payment } });

  async function payIn(trx: Knex.Transaction, organizationId: string, billId: string, input: BillPay, meta: EventMetadata): Promise<BillPayment> {
    const bill = await BillModel.findInOrganization(organizationId, billId, 'bill', trx, { forUpdate: true });
    const { payment, billPatch, entry } = await plan(trx, bill, input);
    const journalEntry = await ledger.post(trx, organizationId, entry, meta);
    const row = await BillPaymentModel.forOrganization(organizationId, trx).insertAndFetch({ ...payment, journalEntryId: journalEntry.id } as Partial<BillPaymentModel>);
    const updated = await BillModel.forOrganization(organizationId, trx).patchAndFetchById(billId, billPatch);
    const result = toBillPayment(row, toBill(updated));
    await deps.events.append(trx, [event(result)], meta);
    return result;
  }

  return {
    pay: (organizationId, billId, input, meta) => knex.transaction((trx) => payIn(trx, organizationId, billId, input, meta)),
    payInTransaction: payIn,

    async get(organizationId, id, trx) {
      const db = trx ?? knex;
      const row = await BillPaymentModel.findInOrganization(organizationId, id, 'bill payment', db);
      return toBillPayment(row, toBill(await BillModel.findInOrganization(organizationId, row.billId, 'bill', db)));
    },

    async list(organizationId, query) {
      const q = BillPaymentModel.forOrganization(organizationId, knex);
      if (query.billId) q.where('bill_id', query.billId);
      const page = await fetchPage(q, query, (row) => row);
      const ids = [...new Set(page.data.map((p) => p.billId))];
      const bills = new Map((ids.length ? await BillModel.forOrganization(organizationId, knex).whereIn('id', ids) : []).map((b) => [b.id, toBill(b)]));
      return { data: page.data.flatMap((p) => { const bill = bills.get(p.billId); return bill ? [toBillPayment(p, bill)] : []; }), nextCursor: page.nextCursor };
    },

    async preview(organizationId, billId, input, meta) {
      return knex.transaction(async (trx) => {
        const bill = await BillModel.findInOrganization(organizationId, billId, 'bill', trx);
        const { payment, billPatch, entry } = await plan(trx, bill, input);
        const result = toBillPayment(payment, toBill({ ...bill, ...billPatch } as BillModel));
        return { object: 'dry_run', dryRun: true, document: result, journalEntries: [await ledger.preview(organizationId, entry, trx, meta)], events: deps.events.preview([event(result)], meta) };
      });
    },
  };
}
