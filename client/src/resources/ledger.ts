import type {
  Account,
  AccountCreate,
  AccountListQuery,
  AccountUpdate,
  JournalEntry,
  JournalEntryCreate,
  JournalEntryExportQuery,
  JournalEntryListQuery,
  JournalEntryPreview,
  JournalEntryReverse,
  LedgerPosting,
  LedgerQuery,
  LedgerSettings,
  LockDateUpdate,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

export interface AccountsResource {
  create(body: AccountCreate, options?: RequestOptions): Promise<Account>;
  /** The account with its balance (debit minus credit, base currency). */
  get(id: string, options?: RequestOptions): Promise<Account>;
  list(query?: AccountListQuery, options?: RequestOptions): Promise<Page<Account>>;
  iterate(query?: Omit<AccountListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Account>;
  update(id: string, body: AccountUpdate, options?: RequestOptions): Promise<Account>;
  /** The account's postings, oldest first, each with the running balance after it. */
  ledger(id: string, query?: LedgerQuery, options?: RequestOptions): Promise<Page<LedgerPosting>>;
  iterateLedger(id: string, query?: Omit<LedgerQuery, 'cursor'>, options?: RequestOptions): PagedIterable<LedgerPosting>;
}

/** The JSON list; `format: 'ledger'` is what `exportLedger` is for. */
export type JournalEntryListOptions = Omit<JournalEntryListQuery, 'format'>;

export interface JournalEntriesResource {
  /** Posts a balanced entry; `{ dryRun: true }` answers a `journal_entry_preview` and writes nothing. */
  create: DryRunWrite<JournalEntryCreate, JournalEntry, JournalEntryPreview>;
  get(id: string, options?: RequestOptions): Promise<JournalEntry>;
  list(query?: JournalEntryListOptions, options?: RequestOptions): Promise<Page<JournalEntry>>;
  iterate(query?: Omit<JournalEntryListOptions, 'cursor'>, options?: RequestOptions): PagedIterable<JournalEntry>;
  /** Posts the mirror entry; an entry can be reversed once. */
  reverse(id: string, body?: JournalEntryReverse, options?: RequestOptions): Promise<JournalEntry>;
  /** The journal as plain-text (h)ledger, ready for `hledger -f - bal`. */
  exportLedger(query?: JournalEntryExportQuery, options?: RequestOptions): Promise<string>;
}

export interface LedgerSettingsResource {
  get(options?: RequestOptions): Promise<LedgerSettings>;
  /** Sets (or clears, with `lockDate: null`) the lock date; the key needs the `admin` scope. */
  update(body: LockDateUpdate, options?: RequestOptions): Promise<LedgerSettings>;
}

export function createAccountsResource(c: ResourceContext): AccountsResource {
  const base = (): string => `${c.org()}/accounts`;
  const one = (accountId: string): string => `${base()}/${c.id(accountId)}`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (accountId, o) => c.get(one(accountId), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (accountId, body, o) => c.patch(one(accountId), body, o),
    ledger: (accountId, query, o) => c.get(`${one(accountId)}/ledger`, query, o),
    iterateLedger: (accountId, query, o) => c.iterate(`${one(accountId)}/ledger`, query, o),
  };
}

export function createJournalEntriesResource(c: ResourceContext): JournalEntriesResource {
  const base = (): string => `${c.org()}/journal-entries`;
  return {
    create: ((body: JournalEntryCreate, o?: DryRunOptions) => c.post(base(), body, o)) as JournalEntriesResource['create'],
    get: (entryId, o) => c.get(`${base()}/${c.id(entryId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    reverse: (entryId, body, o) => c.post(`${base()}/${c.id(entryId)}/reverse`, body ?? {}, o),
    exportLedger: (query, o) => c.getText(`${base()}/export`, query, o),
  };
}

export function createLedgerSettingsResource(c: ResourceContext): LedgerSettingsResource {
  return {
    get: (o) => c.get(`${c.org()}/ledger/settings`, undefined, o),
    update: (body, o) => c.put(`${c.org()}/ledger/settings`, body, o),
  };
}
