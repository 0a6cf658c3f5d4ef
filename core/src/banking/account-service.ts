import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { BankAccount, BankAccountCreate, BankAccountListQuery, BankAccountUpdate, EventMetadata, EventType } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { LedgerService } from '../ledger/service.js';
import { mergeMetadata } from '../customers/service.js';
import { toBankAccount } from './mappers.js';
import { accountKeyOf, BankAccountModel } from './models.js';

export interface BankAccountService {
  create(organizationId: string, input: BankAccountCreate, meta: EventMetadata): Promise<BankAccount>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<BankAccount>;
  list(organizationId: string, query: BankAccountListQuery): Promise<Page<BankAccount>>;
  update(organizationId: string, id: string, input: BankAccountUpdate, meta: EventMetadata): Promise<BankAccount>;
}

export interface BankAccountDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  ledger: Pick<LedgerService, 'accountByKey' | 'accounts'>;
}

const duplicateNumber = (number: string): AppError => new AppError('CONFLICT', `Another bank account of this organization has the account number ${number}.`);

export function createBankAccountService(deps: BankAccountDeps): BankAccountService {
  const { knex, events, ledger } = deps;

  async function record(trx: Knex.Transaction, type: EventType, account: BankAccount, meta: EventMetadata, previousAttributes?: Record<string, unknown>): Promise<void> {
    await events.append(trx, [{ type, aggregateType: 'bank_account', aggregateId: account.id, organizationId: account.organizationId, data: { object: account, ...(previousAttributes ? { previousAttributes } : {}) } }], meta);
  }

  /** The ledger account money of this bank account is booked on: an active ASSET account of the organization. */
  async function ledgerAccountFor(organizationId: string, id: string | undefined, trx: Knex.Transaction): Promise<string> {
    if (id === undefined) return (await ledger.accountByKey(organizationId, 'bank', trx)).id;
    const account = await ledger.accounts.get(organizationId, id, trx).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw unprocessable(`No ledger account ${id} in this organization.`, [{ field: '/ledgerAccountId', in: 'body', message: 'no such account' }]);
      throw error;
    });
    if (account.type !== 'ASSET' || !account.active) throw unprocessable(`Ledger account ${account.code} is not an active ASSET account.`, [{ field: '/ledgerAccountId', in: 'body', message: 'must be an active asset account' }]);
    return account.id;
  }

  return {
    async create(organizationId, input, meta) {
      const currency = input.currency ?? await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const ledgerAccountId = await ledgerAccountFor(organizationId, input.ledgerAccountId, trx);
        const row = await BankAccountModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('bac'), organizationId, name: input.name, ledgerAccountId, currency,
          accountNumber: input.accountNumber?.trim() ?? null, accountKey: accountKeyOf(input.accountNumber), bankName: input.bankName ?? null, metadata: input.metadata ?? {},
        } as Partial<BankAccountModel>).catch((error: unknown) => {
          throw error instanceof UniqueViolationError ? duplicateNumber(input.accountNumber ?? '') : error;
        });
        const account = toBankAccount(row);
        await record(trx, 'bank_account.created', account, meta);
        return account;
      });
    },

    async get(organizationId, id, trx) {
      return toBankAccount(await BankAccountModel.findInOrganization(organizationId, id, 'bank account', trx ?? knex));
    },

    list(organizationId, query) {
      const q = BankAccountModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toBankAccount);
    },

    async update(organizationId, id, input, meta) {
      return knex.transaction(async (trx) => {
        const row = await BankAccountModel.findInOrganization(organizationId, id, 'bank account', trx, { forUpdate: true });
        const before = toBankAccount(row);
        const patch: Partial<BankAccountModel> = { updatedAt: new Date(), version: row.version + 1 };
        if (input.name !== undefined) patch.name = input.name;
        if (input.bankName !== undefined) patch.bankName = input.bankName;
        if (input.status !== undefined) patch.status = input.status;
        if (input.accountNumber !== undefined) {
          patch.accountNumber = input.accountNumber?.trim() ?? null;
          patch.accountKey = accountKeyOf(input.accountNumber);
        }
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        const updated = await BankAccountModel.forOrganization(organizationId, trx).patchAndFetchById(id, patch).catch((error: unknown) => {
          throw error instanceof UniqueViolationError ? duplicateNumber(input.accountNumber ?? '') : error;
        });
        const after = toBankAccount(updated);
        const previous: Record<string, unknown> = {};
        for (const key of ['name', 'accountNumber', 'bankName', 'status', 'metadata'] as const) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
        if (Object.keys(previous).length > 0) await record(trx, 'bank_account.updated', after, meta, previous);
        return after;
      });
    },
  };
}
