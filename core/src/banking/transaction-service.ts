import type { Knex } from 'knex';
import type { BankTransaction, BankTransactionListQuery } from '@uah/schemas';
import { fetchPage, type Page } from '../http/paging.js';
import { toBankTransaction } from './mappers.js';
import { BankTransactionModel } from './models.js';

export interface BankTransactionService {
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<BankTransaction>;
  list(organizationId: string, query: BankTransactionListQuery): Promise<Page<BankTransaction>>;
}

export function createBankTransactionService(deps: { knex: Knex }): BankTransactionService {
  const { knex } = deps;
  return {
    async get(organizationId, id, trx) {
      return toBankTransaction(await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx ?? knex));
    },
    list(organizationId, query) {
      const q = BankTransactionModel.forOrganization(organizationId, knex);
      if (query.bankAccountId) q.where('bankAccountId', query.bankAccountId);
      if (query.status) q.where('status', query.status);
      if (query.direction) q.where('direction', query.direction);
      if (query.from) q.where('date', '>=', query.from);
      if (query.to) q.where('date', '<=', query.to);
      if (query.importId) q.where('importId', query.importId);
      if (query.paymentId) q.where('paymentId', query.paymentId);
      if (query.billPaymentId) q.where('billPaymentId', query.billPaymentId);
      return fetchPage(q, query, toBankTransaction);
    },
  };
}
