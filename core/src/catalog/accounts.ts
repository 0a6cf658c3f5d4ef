import type { Knex } from 'knex';
import type { Account } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import type { LedgerService } from '../ledger/service.js';

export type AccountLookup = Pick<LedgerService, 'accounts'>;

/** The account, or null when the organization has no account of that id (other failures propagate). */
export async function findAccount(ledger: AccountLookup, organizationId: string, id: string, trx: Knex.Transaction): Promise<Account | null> {
  try {
    return await ledger.accounts.get(organizationId, id, trx);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
    throw error;
  }
}
