import type {
  BankAccount, BankAccountCreate, BankAccountListQuery, BankAccountUpdate, BankReconciliationResult, BankReconciliationRun, BankStatementImport, BankStatementImportCreate,
  BankTransaction, BankTransactionListQuery, BankTransactionMatch,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

export interface BankAccountsResource {
  create(body: BankAccountCreate, options?: RequestOptions): Promise<BankAccount>;
  get(id: string, options?: RequestOptions): Promise<BankAccount>;
  list(query?: BankAccountListQuery, options?: RequestOptions): Promise<Page<BankAccount>>;
  update(id: string, body: BankAccountUpdate, options?: RequestOptions): Promise<BankAccount>;
  /** Imports an OFX/QFX, camt.053 or (mapped) CSV statement file; transactions already imported are skipped. */
  import(id: string, body: BankStatementImportCreate, options?: RequestOptions): Promise<BankStatementImport>;
  /** One import of the account's statements, with what it added and skipped. */
  getImport(id: string, importId: string, options?: RequestOptions): Promise<BankStatementImport>;
}

export interface BankTransactionsResource {
  get(id: string, options?: RequestOptions): Promise<BankTransaction>;
  list(query?: BankTransactionListQuery, options?: RequestOptions): Promise<Page<BankTransaction>>;
  iterate(query?: Omit<BankTransactionListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<BankTransaction>;
  /** Matches the unmatched transactions automatically; the rest keep ranked suggestions. */
  reconcile(body?: BankReconciliationRun, options?: RequestOptions): Promise<BankReconciliationResult>;
  match(id: string, body: BankTransactionMatch, options?: RequestOptions): Promise<BankTransaction>;
  unmatch(id: string, options?: RequestOptions): Promise<BankTransaction>;
}

export function createBankAccountsResource(c: ResourceContext): BankAccountsResource {
  const base = (): string => `${c.org()}/bank-accounts`;
  const one = (id: string): string => `${base()}/${c.id(id)}`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(one(id), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    update: (id, body, o) => c.patch(one(id), body, o),
    import: (id, body, o) => c.post(`${one(id)}/imports`, body, o),
    getImport: (id, importId, o) => c.get(`${one(id)}/imports/${c.id(importId)}`, undefined, o),
  };
}

export function createBankTransactionsResource(c: ResourceContext): BankTransactionsResource {
  const base = (): string => `${c.org()}/bank-transactions`;
  const one = (id: string): string => `${base()}/${c.id(id)}`;
  return {
    get: (id, o) => c.get(one(id), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    reconcile: (body, o) => c.post(`${c.org()}/bank-reconciliation-runs`, body ?? {}, o),
    match: (id, body, o) => c.post(`${one(id)}/match`, body, o),
    unmatch: (id, o) => c.post(`${one(id)}/unmatch`, undefined, o),
  };
}
