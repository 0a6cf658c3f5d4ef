import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { Account, AccountCreate, AccountListQuery, AccountUpdate, CurrencyCode, SystemAccountKey } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { conflict, notFound, unprocessable } from '../http/errors.js';
import { decodeCursor, toPage, type Page } from '../http/paging.js';
import { mergeMetadata } from '../customers/service.js';
import { AccountModel } from './model.js';

type Db = Knex | Knex.Transaction;

export interface AccountsApi {
  create(organizationId: string, input: AccountCreate): Promise<Account>;
  get(organizationId: string, id: string, trx?: Db): Promise<Account>;
  byKey(organizationId: string, key: SystemAccountKey, trx?: Db): Promise<Account>;
  /** Every account of the organization, by code. */
  all(organizationId: string, trx?: Db): Promise<Account[]>;
  list(organizationId: string, query: AccountListQuery): Promise<Page<Account>>;
  update(organizationId: string, id: string, input: AccountUpdate): Promise<Account>;
}

export function toAccount(row: AccountModel): Account {
  const balances = Object.entries(row.currencyBalances ?? {})
    .map(([currency, balance]) => ({ currency: currency as CurrencyCode, balance: Number(balance) }))
    .filter((b) => b.balance !== 0)
    .sort((a, b) => (a.currency < b.currency ? -1 : 1));
  return {
    id: row.id,
    object: 'account',
    organizationId: row.organizationId,
    code: row.code,
    name: row.name,
    type: row.type,
    normalBalance: row.type === 'ASSET' || row.type === 'EXPENSE' ? 'DEBIT' : 'CREDIT',
    currency: row.currency?.trim() ? (row.currency.trim() as CurrencyCode) : null,
    systemKey: row.systemKey,
    active: row.active,
    description: row.description,
    balance: Number(row.balance ?? 0),
    balances,
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** The chart of accounts. `ensureLedger` seeds an organization that predates the ledger on first use. */
export function createAccountsApi(deps: {
  knex: Knex;
  ensureLedger(organizationId: string, trx?: Db): Promise<void>;
  /** Called after this process changed the chart of an organization. */
  onChange(organizationId: string): void;
}): AccountsApi {
  const { knex } = deps;
  const withBalances = (organizationId: string, db: Db) =>
    AccountModel.forOrganization(organizationId, db).select('accounts.*', 'b.balance', 'b.currency_balances').leftJoin('account_balances as b', 'b.account_id', 'accounts.id');

  async function lockRow(organizationId: string, id: string, trx: Knex.Transaction): Promise<AccountModel> {
    const row = await AccountModel.findInOrganization(organizationId, id, 'account', trx, { forUpdate: true });
    return row;
  }

  async function checkDeactivation(row: AccountModel, trx: Knex.Transaction): Promise<void> {
    if (row.systemKey) throw unprocessable(`Account ${row.code} (${row.systemKey}) is one documents post to: it cannot be deactivated.`, [{ field: '/active', message: 'system accounts stay active' }]);
    const current = await withBalances(row.organizationId, trx).findById(row.id);
    if (current && Number(current.balance ?? 0) !== 0) {
      throw unprocessable(`Account ${row.code} has a balance of ${current.balance} (base currency minor units): move it to another account before deactivating.`, [{ field: '/active', message: 'the account has a balance' }]);
    }
  }

  const api: AccountsApi = {
    async create(organizationId, input) {
      await deps.ensureLedger(organizationId);
      try {
        const row = await AccountModel.forOrganization(organizationId, knex).insertAndFetch({
          id: newId('acc'),
          organizationId,
          code: input.code,
          name: input.name.trim(),
          type: input.type,
          currency: input.currency ?? null,
          description: input.description ?? null,
          metadata: input.metadata ?? {},
        } as Partial<AccountModel>);
        deps.onChange(organizationId);
        return toAccount(row);
      } catch (error) {
        if (error instanceof UniqueViolationError) throw conflict(`An account with code ${input.code} exists already.`);
        throw error;
      }
    },

    async get(organizationId, id, trx) {
      const row = await withBalances(organizationId, trx ?? knex).findById(id);
      if (!row) throw notFound('account', id);
      return toAccount(row);
    },

    async byKey(organizationId, key, trx) {
      await deps.ensureLedger(organizationId, trx);
      const row = await withBalances(organizationId, trx ?? knex).where('accounts.system_key', key).first();
      if (!row) throw notFound('account', key);
      return toAccount(row);
    },

    async all(organizationId, trx) {
      await deps.ensureLedger(organizationId, trx);
      return (await withBalances(organizationId, trx ?? knex).orderBy('accounts.code')).map(toAccount);
    },

    async list(organizationId, query) {
      await deps.ensureLedger(organizationId);
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor);
      const q = withBalances(organizationId, knex).orderBy('accounts.code').limit(limit + 1);
      if (after !== undefined) q.where('accounts.code', '>', after);
      if (query.type) q.where('accounts.type', query.type);
      if (query.active !== undefined) q.where('accounts.active', query.active);
      return toPage(await q, limit, (r) => r.code, toAccount);
    },

    async update(organizationId, id, input) {
      return knex.transaction(async (trx) => {
        const row = await lockRow(organizationId, id, trx);
        const patch: Partial<AccountModel> = { updatedAt: new Date() };
        if (input.code !== undefined && input.code !== row.code) {
          const used: unknown = await trx('journal_lines').where({ accountId: id }).first('id');
          if (used) throw conflict(`Account ${row.code} has postings: its code can no longer change (reports and exports refer to it).`);
          patch.code = input.code;
        }
        if (input.name !== undefined) patch.name = input.name.trim();
        if (input.description !== undefined) patch.description = input.description;
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        if (input.active !== undefined && input.active !== row.active) {
          if (!input.active) await checkDeactivation(row, trx);
          patch.active = input.active;
        }
        try {
          await AccountModel.forOrganization(organizationId, trx).patch(patch).where('accounts.id', id);
        } catch (error) {
          if (error instanceof UniqueViolationError) throw conflict(`An account with code ${input.code ?? ''} exists already.`);
          throw error;
        }
        return api.get(organizationId, id, trx);
      }).finally(() => deps.onChange(organizationId));
    },
  };
  return api;
}
