import type { Knex } from 'knex';
import type { BankTransaction, BankTransactionListQuery } from '@uah/schemas';
import { fetchPage, type Page } from '../http/paging.js';
import type { PayoutService } from '../payments/payout-service.js';
import { toBankTransaction } from './mappers.js';
import { BankTransactionModel } from './models.js';

export interface BankTransactionService {
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<BankTransaction>;
  list(organizationId: string, query: BankTransactionListQuery): Promise<Page<BankTransaction>>;
}

/** `payouts` (when the organization's payouts are known) shows a payout-matched line's payments and finds lines by a payment a payout settled. */
export function createBankTransactionService(deps: { knex: Knex; payouts?: Pick<PayoutService, 'get' | 'list'> }): BankTransactionService {
  const { knex, payouts } = deps;

  /** A line matched to a payout, with the payout's payments in `match.paymentIds`. */
  async function withPayments(organizationId: string, transaction: BankTransaction, trx?: Knex.Transaction): Promise<BankTransaction> {
    const payoutId = transaction.match?.payoutId;
    if (!payoutId || !payouts || !transaction.match) return transaction;
    const payout = await payouts.get(organizationId, payoutId, trx);
    return { ...transaction, match: { ...transaction.match, paymentIds: payout.paymentIds } };
  }

  /** The payouts that settle a payment (a payment is in a handful of payouts at most: usually one). */
  async function payoutsOf(organizationId: string, paymentId: string): Promise<string[]> {
    if (!payouts) return [];
    return (await payouts.list(organizationId, { paymentId, limit: 100 })).data.map((p) => p.id);
  }

  return {
    async get(organizationId, id, trx) {
      return withPayments(organizationId, toBankTransaction(await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx ?? knex)), trx);
    },
    async list(organizationId, query) {
      const q = BankTransactionModel.forOrganization(organizationId, knex);
      if (query.bankAccountId) q.where('bankAccountId', query.bankAccountId);
      if (query.status) q.where('status', query.status);
      if (query.direction) q.where('direction', query.direction);
      if (query.from) q.where('date', '>=', query.from);
      if (query.to) q.where('date', '<=', query.to);
      if (query.importId) q.where('importId', query.importId);
      if (query.paymentId) {
        const paymentId = query.paymentId;
        const through = await payoutsOf(organizationId, paymentId);
        q.where((w) => void w.where('paymentId', paymentId).orWhereIn('payoutId', through));
      }
      if (query.billPaymentId) q.where('billPaymentId', query.billPaymentId);
      if (query.payoutId) q.where('payoutId', query.payoutId);
      const page = await fetchPage(q, query, (row) => toBankTransaction(row));
      const data: BankTransaction[] = [];
      for (const t of page.data) data.push(await withPayments(organizationId, t));
      return { ...page, data };
    },
  };
}
