import type { Knex } from 'knex';
import type {
  Account, EventMetadata, JournalEntry, JournalEntryCreate, JournalLine, JournalEntryListQuery, JournalEntryPostResult, JournalEntryPreview, JournalEntryReverse,
  LedgerPosting, LedgerQuery, LedgerSettings, SystemAccountKey,
} from '@uah/schemas';
import { AppError, notFound, unprocessable } from '../http/errors.js';
import { decodeCursor, toPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { GroupCommit } from '../db/group-commit.js';
import type { OrganizationService } from '../auth/organization-service.js';
import { createAccountsApi, type AccountsApi } from './accounts.js';
import { accountPostings, sumByAccount, type AccountBalance } from './account-ledger.js';
import { seedLedger } from './chart.js';
import { toHledgerJournal } from './export.js';
import { createContextCache } from './context-cache.js';
import { readEntries } from './journal-store.js';
import { receivablesAsOf, type ReceivablesAsOf } from './receivables.js';
import { payablesAsOf, type PayablesAsOf } from './payables.js';
import { createPoster } from './poster.js';
import { prepareEntry } from './posting.js';
import { previewEntry } from './preview.js';
import { createSettingsApi } from './settings.js';
import type { AccountRef, LineReference, PostEntryInput } from './types.js';

export type { AccountRef, LineReference, PostEntryInput, PostingLineInput, SystemAccountKey } from './types.js';
export type { AccountBalance } from './account-ledger.js';
export type { InvoiceReceivable, ReceivablesAsOf, UnallocatedReceivable } from './receivables.js';
export type { BillPayable, PayablesAsOf, UnallocatedPayable } from './payables.js';

type Db = Knex | Knex.Transaction;

export interface LedgerService {
  /**
   * Posts an entry in the CALLER's transaction: validates it (balances per currency, accounts exist in
   * the organization and are active and take the line's currency, lock date, exchange rate), then writes
   * the entry, its lines, the cached balances and the journal_entry.created and account.balance_changed
   * events. Throws a 4xx AppError on bad input.
   */
  post(trx: Knex.Transaction, organizationId: string, input: PostEntryInput, meta: EventMetadata): Promise<JournalEntry>;
  /** The same checks as `post`; writes nothing (dry runs). */
  preview(organizationId: string, input: PostEntryInput, trx?: Knex.Transaction, meta?: EventMetadata): Promise<JournalEntryPreview>;
  /** Posts the mirror image of an entry (lines on the opposite sides) and links both; 409 if already reversed. */
  reverse(trx: Knex.Transaction, organizationId: string, entryId: string, options: { date?: string; memo?: string }, meta: EventMetadata): Promise<JournalEntry>;
  entriesForSource(organizationId: string, sourceType: string, sourceId: string, trx?: Knex.Transaction): Promise<JournalEntry[]>;
  /** Every account with its debits, credits and balance (debit minus credit) in base currency over the inclusive range. */
  accountBalances(organizationId: string, range: { from?: string; to?: string }): Promise<AccountBalance[]>;
  accountByKey(organizationId: string, key: SystemAccountKey, trx?: Knex.Transaction): Promise<Account>;
  /**
   * The receivables subledger at a day (inclusive), from the postings: per invoice reference the balance in
   * base currency and per line currency (non-zero ones only), and the lines naming no invoice per entry.
   * `balance` equals the receivables account's balance in the trial balance at that day.
   */
  receivablesByInvoice(organizationId: string, asOf: string, trx?: Knex.Transaction): Promise<ReceivablesAsOf>;
  /** The payables subledger at a day (inclusive), per bill reference, credit minus debit; the mirror of `receivablesByInvoice`. */
  payablesByBill(organizationId: string, asOf: string, trx?: Knex.Transaction): Promise<PayablesAsOf>;

  /** POST /journal-entries: a manual entry, posted in its own transaction (one statement), or previewed. */
  createEntry(organizationId: string, input: JournalEntryCreate, meta: EventMetadata, options?: { dryRun?: boolean }): Promise<JournalEntryPostResult>;
  reverseEntry(organizationId: string, entryId: string, input: JournalEntryReverse, meta: EventMetadata): Promise<JournalEntry>;
  getEntry(organizationId: string, entryId: string, trx?: Knex.Transaction): Promise<JournalEntry>;
  listEntries(organizationId: string, query: JournalEntryListQuery): Promise<Page<JournalEntry>>;
  /** The journal (or a date range of it) in the plain-text hledger format. */
  exportJournal(organizationId: string, range: { from?: string | undefined; to?: string | undefined }): Promise<string>;
  accountLedger(organizationId: string, accountId: string, query: LedgerQuery): Promise<Page<LedgerPosting>>;
  accounts: AccountsApi;
  getSettings(organizationId: string): Promise<LedgerSettings>;
  setLockDate(organizationId: string, lockDate: string | null): Promise<LedgerSettings>;
}

const today = (): string => new Date().toISOString().slice(0, 10);
/** A reversal belongs to the same invoice and customer as the line it mirrors. */
const referenceOf = (line: JournalLine): LineReference => ({
  ...(line.invoiceId ? { invoiceId: line.invoiceId } : {}),
  ...(line.customerId ? { customerId: line.customerId } : {}),
  ...(line.billId ? { billId: line.billId } : {}),
  ...(line.vendorId ? { vendorId: line.vendorId } : {}),
});
const refsOf = (input: PostEntryInput): AccountRef[] => input.lines.map((l) => l.account);

/** An API line names its account by id or by code, not both. */
function fromApi(input: JournalEntryCreate): PostEntryInput {
  const lines = input.lines.map((line, i) => {
    if (line.accountId !== undefined && line.accountCode !== undefined) {
      throw unprocessable('A line names its account by accountId or by accountCode, not both.', [{ field: `/lines/${i}`, message: 'give accountId or accountCode, not both' }]);
    }
    const account: AccountRef = line.accountId !== undefined ? { id: line.accountId } : { code: line.accountCode ?? '' };
    return { account, direction: line.direction, amount: line.amount, ...(line.currency ? { currency: line.currency } : {}), ...(line.description !== undefined ? { description: line.description } : {}) };
  });
  return {
    date: input.date,
    currency: input.currency,
    lines,
    ...(input.exchangeRate !== undefined ? { exchangeRate: input.exchangeRate } : {}),
    ...(input.memo !== undefined ? { memo: input.memo } : {}),
    ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
  };
}

/**
 * The ledger. Its events (journal_entry.created, account.balance_changed) go to the same event log as
 * `events.append` writes, but are inserted by the posting statement itself (one round trip per entry);
 * `events` is kept in the dependencies for the contexts' common shape.
 */
export function createLedgerService(deps: { knex: Knex; events: EventStore; organizations: OrganizationService; group?: GroupCommit }): LedgerService {
  const { knex, organizations } = deps;
  const cache = createContextCache();
  const settings = createSettingsApi({ knex, organizations, seed: seedLedger, onChange: cache.invalidate });
  const accounts = createAccountsApi({ knex, ensureLedger: settings.ensure, onChange: cache.invalidate });
  const poster = createPoster({ cache, ensureLedger: settings.ensure, group: deps.group });
  organizations.onCreated((trx, organization) => seedLedger(trx, organization));

  async function getEntry(organizationId: string, entryId: string, db: Db, forUpdate = false): Promise<JournalEntry> {
    const [entry] = await readEntries(db, organizationId, { id: entryId, forUpdate });
    if (!entry) throw notFound('journal entry', entryId);
    return entry;
  }

  const service: LedgerService = {
    accounts,
    getSettings: settings.get,
    setLockDate: settings.setLockDate,

    post: (trx, organizationId, input, meta) => poster.post(trx, organizationId, refsOf(input), (context) => prepareEntry(input, context), meta),

    async preview(organizationId, input, trx, meta = { source: 'SYSTEM' }) {
      const db = trx ?? knex;
      return previewEntry(db, organizationId, prepareEntry(input, await poster.fresh(db, organizationId, refsOf(input))), meta);
    },

    async reverse(trx, organizationId, entryId, options, meta) {
      const original = await getEntry(organizationId, entryId, trx, true);
      if (original.reversedBy) throw new AppError('ALREADY_REVERSED', `Journal entry ${entryId} was reversed by ${original.reversedBy} already.`);
      const { lockDate } = await poster.fresh(trx, organizationId, []);
      const open = lockDate === null || original.date > lockDate;
      const input: PostEntryInput = {
        date: options.date ?? (open ? original.date : today()),
        currency: original.currency,
        memo: options.memo ?? `Reversal of entry ${original.number}${original.memo ? `: ${original.memo}` : ''}`,
        lines: original.lines.map((l) => ({ account: { id: l.accountId }, direction: l.direction === 'DEBIT' ? 'CREDIT' : 'DEBIT', amount: l.amount, currency: l.currency, ...(l.description ? { description: l.description } : {}), reference: referenceOf(l) })),
        ...(original.source ? { source: original.source } : {}),
        ...(original.exchangeRate !== null ? { exchangeRate: original.exchangeRate } : {}),
      };
      // Reversals may touch accounts deactivated since; base amounts mirror the original exactly.
      const reversal = await poster.post(trx, organizationId, refsOf(input), (context) => {
        const prepared = prepareEntry(input, context, { allowInactive: true, reversalOf: original.id });
        prepared.lines.forEach((line, i) => (line.baseAmount = original.lines[i]?.baseAmount ?? line.baseAmount));
        return prepared;
      }, meta);
      await trx('journal_entries').where({ id: original.id, organizationId }).whereNull('reversed_by').update({ reversedBy: reversal.id, updatedAt: trx.fn.now() });
      return reversal;
    },

    async entriesForSource(organizationId, sourceType, sourceId, trx) {
      return readEntries(trx ?? knex, organizationId, { sourceType, sourceId });
    },

    async accountBalances(organizationId, range) {
      const [all, sums] = [await accounts.all(organizationId), await sumByAccount(knex, organizationId, range)];
      return all.map((account) => {
        const { debit, credit } = sums.get(account.id) ?? { debit: 0, credit: 0 };
        return { account, debit, credit, balance: debit - credit };
      });
    },

    accountByKey: (organizationId, key, trx) => accounts.byKey(organizationId, key, trx),

    receivablesByInvoice: (organizationId, asOf, trx) => receivablesAsOf(trx ?? knex, organizationId, asOf),

    payablesByBill: (organizationId, asOf, trx) => payablesAsOf(trx ?? knex, organizationId, asOf),

    async createEntry(organizationId, body, meta, options = {}) {
      const input = fromApi(body);
      if (options.dryRun) return service.preview(organizationId, input, undefined, meta);
      // Outside a transaction: the write is one statement, atomic on its own, with the deferred checks at its
      // end; on PostgreSQL it is group-committed with concurrent postings (one transaction, one trip).
      return poster.post(knex, organizationId, refsOf(input), (context) => prepareEntry(input, context), meta);
    },

    reverseEntry: (organizationId, entryId, input, meta) =>
      knex.transaction((trx) => service.reverse(trx, organizationId, entryId, { ...(input.date ? { date: input.date } : {}), ...(input.memo ? { memo: input.memo } : {}) }, meta)),

    getEntry: (organizationId, entryId, trx) => getEntry(organizationId, entryId, trx ?? knex),

    async listEntries(organizationId, query) {
      const limit = query.limit ?? 20;
      const cursor = decodeCursor(query.cursor);
      if (cursor !== undefined && !/^\d{1,18}$/.test(cursor)) throw new AppError('INVALID_CURSOR', 'The cursor is not one this list returned.');
      const rows = await readEntries(knex, organizationId, {
        limit: limit + 1,
        ...(cursor !== undefined ? { afterNumber: Number(cursor) } : {}),
        ...(query.from ? { from: query.from } : {}),
        ...(query.to ? { to: query.to } : {}),
        ...(query.accountId ? { accountId: query.accountId } : {}),
        ...(query.sourceType ? { sourceType: query.sourceType } : {}),
        ...(query.sourceId ? { sourceId: query.sourceId } : {}),
      });
      return toPage(rows, limit, (e) => String(e.number), (e) => e);
    },

    async exportJournal(organizationId, range) {
      const { baseCurrency } = await settings.get(organizationId);
      const entries = await readEntries(knex, organizationId, { order: 'date', ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) });
      return toHledgerJournal({ id: organizationId, baseCurrency }, await accounts.all(organizationId), entries);
    },

    async accountLedger(organizationId, accountId, query) {
      const account = await accounts.get(organizationId, accountId);
      const { baseCurrency } = await settings.get(organizationId);
      return accountPostings(knex, account, baseCurrency, query);
    },
  };
  return service;
}
