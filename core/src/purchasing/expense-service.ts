import type { Knex } from 'knex';
import type { CurrencyCode, DocumentDryRun, EventMetadata, Expense, ExpenseCreate, ExpenseListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import { divRound } from '../shared/money.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput, PostingLineInput } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import { findAccount } from '../catalog/accounts.js';
import { todayUtc } from '../sales/dates.js';
import { paidFromAccount } from './bill-payment-service.js';
import { toExpense } from './mappers.js';
import { ExpenseModel } from './model.js';
import type { VendorService } from './vendor-service.js';

export interface ExpenseService {
  create(organizationId: string, input: ExpenseCreate, meta: EventMetadata): Promise<Expense>;
  preview(organizationId: string, input: ExpenseCreate, meta: EventMetadata): Promise<DocumentDryRun>;
  get(organizationId: string, id: string): Promise<Expense>;
  list(organizationId: string, query: ExpenseListQuery): Promise<Page<Expense>>;
}

export interface ExpenseDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  ledger: Pick<LedgerService, 'post' | 'preview' | 'accounts' | 'accountByKey'>;
  taxRates: Pick<TaxRateService, 'requireActive'>;
  vendors: Pick<VendorService, 'requireActive'>;
}

export function createExpenseService(deps: ExpenseDeps): ExpenseService {
  const { knex, ledger } = deps;

  async function plan(trx: Knex.Transaction, organizationId: string, input: ExpenseCreate, currency: CurrencyCode): Promise<{ row: ExpenseModel; entry: PostEntryInput }> {
    if (input.vendorId) await deps.vendors.requireActive(organizationId, input.vendorId, trx);
    let accountId: string;
    if (input.accountId) {
      const account = await findAccount(ledger, organizationId, input.accountId, trx);
      if (!account || !account.active || account.type !== 'EXPENSE') throw unprocessable(`Account ${input.accountId} is not an active EXPENSE account of this organization.`, [{ field: '/accountId', in: 'body', message: 'must be an active EXPENSE account' }]);
      accountId = account.id;
    } else {
      accountId = (await ledger.accountByKey(organizationId, 'general_expenses', trx)).id;
    }
    const paidFrom = await paidFromAccount(ledger, organizationId, input.paidFromAccountId, trx);
    const rate = input.taxRateId ? (await deps.taxRates.requireActive(organizationId, [input.taxRateId], trx, () => '/taxRateId')).get(input.taxRateId) : undefined;
    const taxAmount = rate ? Number(divRound(BigInt(input.amount) * BigInt(rate.basisPoints), 10_000n)) : 0;
    const id = newId('exp');
    const date = input.date ?? todayUtc();
    const now = new Date();
    const row = {
      id, organizationId, vendorId: input.vendorId ?? null, date, description: input.description, accountId, paidFromAccountId: paidFrom.id, currency,
      amount: input.amount, taxRateId: rate?.id ?? null, taxAmount, total: input.amount + taxAmount, reference: input.reference ?? null, journalEntryId: null,
      metadata: input.metadata ?? {}, createdAt: now, updatedAt: now,
    } as ExpenseModel;
    const lines: PostingLineInput[] = [{ account: { id: accountId }, direction: 'DEBIT', amount: input.amount, description: input.description.slice(0, 200) }];
    if (rate && taxAmount > 0) lines.push({ account: { id: rate.accountId }, direction: 'DEBIT', amount: taxAmount, description: 'Purchase tax' });
    lines.push({ account: { id: paidFrom.id }, direction: 'CREDIT', amount: input.amount + taxAmount });
    return { row, entry: { date, currency, memo: `Expense: ${input.description.slice(0, 200)}`, source: { type: 'expense', id }, lines } };
  }

  const event = (expense: Expense) => ({ type: 'expense.recorded' as const, aggregateType: 'expense', aggregateId: expense.id, organizationId: expense.organizationId, data: { object: expense } });

  return {
    async create(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const { row, entry } = await plan(trx, organizationId, input, baseCurrency);
        const journalEntry = await ledger.post(trx, organizationId, entry, meta);
        const { createdAt: _c, updatedAt: _u, ...values } = row;
        const saved = await ExpenseModel.forOrganization(organizationId, trx).insertAndFetch({ ...values, journalEntryId: journalEntry.id } as Partial<ExpenseModel>);
        const expense = toExpense(saved);
        await deps.events.append(trx, [event(expense)], meta);
        return expense;
      });
    },

    async preview(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const { row, entry } = await plan(trx, organizationId, input, baseCurrency);
        const expense = toExpense(row);
        return { object: 'dry_run', dryRun: true, document: expense, journalEntries: [await ledger.preview(organizationId, entry, trx, meta)], events: deps.events.preview([event(expense)], meta) };
      });
    },

    async get(organizationId, id) {
      return toExpense(await ExpenseModel.findInOrganization(organizationId, id, 'expense', knex));
    },

    async list(organizationId, query) {
      const q = ExpenseModel.forOrganization(organizationId, knex);
      if (query.vendorId) q.where('vendor_id', query.vendorId);
      return fetchPage(q, query, toExpense);
    },
  };
}
