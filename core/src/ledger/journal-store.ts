import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, JournalEntry, JournalLine } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { balanceDeltas, baseDeltas, totalsOf } from './posting.js';
import { preparedQuery } from '../db/prepared.js';
import type { GroupCommit } from '../db/group-commit.js';
import type { AccountRef, LedgerContext, PreparedEntry } from './types.js';

type Db = Knex | Knex.Transaction;

/**
 * The journal's SQL. Raw statements alias every column to its camelCase property (the snake-case
 * mapper does not touch raw results) and read dates as text (a `date` parsed into a JS Date shifts with
 * the process's time zone).
 */

/**
 * The organization's ledger settings and the accounts `refs` name (those that exist), in one round trip;
 * undefined before the ledger is seeded.
 */
export async function loadContext(db: Db, organizationId: string, refs: AccountRef[]): Promise<LedgerContext | undefined> {
  const ids = refs.flatMap((r) => ('id' in r ? [r.id] : []));
  const codes = refs.flatMap((r) => ('code' in r ? [r.code] : []));
  const keys = refs.flatMap((r) => ('key' in r ? [r.key] : []));
  const rows = await preparedQuery<LedgerContext>(
    db,
    'ledger_context_v4',
    `SELECT s.base_currency AS "baseCurrency", s.lock_date::text AS "lockDate", s.entry_number_sequence AS "entryNumberSequence",
            s.chart_version AS "chartVersion",
            COALESCE((SELECT json_agg(json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'type', a.type, 'currency', a.currency,
                                                        'systemKey', a.system_key, 'active', a.active))
                        FROM accounts a
                       WHERE a.organization_id = s.organization_id
                         AND (a.id IN (SELECT jsonb_array_elements_text(?::jsonb)) OR a.code IN (SELECT jsonb_array_elements_text(?::jsonb))
                              OR a.system_key IN (SELECT jsonb_array_elements_text(?::jsonb)))), '[]'::json) AS accounts
       FROM ledger_settings s WHERE s.organization_id = ?`,
    [JSON.stringify(ids), JSON.stringify(codes), JSON.stringify(keys), organizationId],
  );
  const context = rows[0];
  return context && { ...context, chartVersion: Number(context.chartVersion) };
}

export function toJournalEntry(head: Omit<JournalEntry, 'object' | 'lines' | 'totals' | 'baseTotal'>, lines: JournalLine[]): JournalEntry {
  return {
    id: head.id,
    object: 'journal_entry',
    organizationId: head.organizationId,
    number: head.number,
    date: head.date,
    currency: head.currency,
    exchangeRate: head.exchangeRate,
    baseCurrency: head.baseCurrency,
    memo: head.memo,
    source: head.source,
    reversalOf: head.reversalOf,
    reversedBy: head.reversedBy,
    lines,
    totals: totalsOf(lines),
    baseTotal: lines.filter((l) => l.direction === 'DEBIT').reduce((s, l) => s + l.baseAmount, 0),
    metadata: head.metadata,
    createdAt: head.createdAt,
    updatedAt: head.updatedAt,
  };
}

/** The entry as the API returns it, from a prepared entry and the ids it is written with. */
export function entryFromPrepared(prepared: PreparedEntry, ids: { id: string; number: number; organizationId: string; lineIds: string[]; createdAt: string }): JournalEntry {
  const lines: JournalLine[] = prepared.lines.map((l, i) => ({
    id: ids.lineIds[i] ?? '',
    accountId: l.account.id,
    accountCode: l.account.code,
    accountName: l.account.name,
    direction: l.direction,
    amount: l.amount,
    currency: l.currency,
    baseAmount: l.baseAmount,
    description: l.description,
    invoiceId: l.invoiceId,
    customerId: l.customerId,
    billId: l.billId,
    vendorId: l.vendorId,
  }));
  const { date, currency, exchangeRate, baseCurrency, memo, source, reversalOf, metadata } = prepared;
  return toJournalEntry({ id: ids.id, organizationId: ids.organizationId, number: ids.number, date, currency, exchangeRate, baseCurrency, memo, source, reversalOf, reversedBy: null, metadata, createdAt: ids.createdAt, updatedAt: ids.createdAt }, lines);
}

/**
 * The changes an entry makes to cached balances: per account its base-currency change (`base`), and per
 * account and currency one account.balance_changed event (`changes`, `k` their order within the entry).
 */
function balanceChanges(entryId: string, organizationId: string, prepared: PreparedEntry) {
  const base = [...baseDeltas(prepared.lines)].map(([account_id, balance]) => ({ entry_id: entryId, organization_id: organizationId, account_id, balance }));
  const changes = balanceDeltas(prepared.lines).map((d, k) => ({ entry_id: entryId, k, id: newId('evt'), account_id: d.accountId, currency: d.currency, delta: d.amount }));
  return { base, changes };
}

/**
 * Writes entries, their lines, the cached balances and the events (journal_entry.created, then one
 * account.balance_changed per account and currency) in ONE statement: one round trip per posting, and one
 * for a whole group of postings (see below).
 * - The statement first checks, per entry, that the organization's chart of accounts and lock date are still
 *   the version the entry was prepared with (`chart_version`, bumped by the database on every change) and
 *   that the date is after the lock date; an entry that fails is not written (nor its balances and events)
 *   and the caller prepares it again from fresh data. So the context may come from a cache without ever
 *   posting on stale facts.
 * - Balance rows are locked in account-id order (the upsert takes them in its input order), so concurrent
 *   postings never deadlock. An account's events take their versions from its balance row, which the
 *   statement holds locked, so they are gapless and never collide.
 * - The number comes from the organization's sequence.
 * Every parameter is a JSON array with a row per entry (or per line, balance or event of an entry), so the
 * statements of concurrent postings concatenate into one (`batch`): group commit (db/group-commit.ts) sends
 * a group of postings as one statement, which writes each table once for the group and locks every balance
 * row of the group in order. Within one statement the entries are taken in id order: numbers, event
 * sequence and each account's event versions and balances follow it, as if written one after the other.
 * Run alone (autocommit) the statement is its own transaction and the deferred balance check runs at its
 * end; run in a caller's transaction, the check runs at the caller's commit. Group-committed, the check runs
 * at the end of the statement, and the entry is returned once the group has committed.
 */
export async function writeEntry(
  db: Db,
  organizationId: string,
  prepared: PreparedEntry,
  context: Pick<LedgerContext, 'entryNumberSequence' | 'chartVersion'>,
  meta: EventMetadata,
  group?: GroupCommit,
): Promise<JournalEntry | undefined> {
  const { id, entry, values, accounts } = postingParameters(organizationId, prepared, context, meta);
  try {
    const rows = await preparedQuery<{ key: string; number: number }>(db, 'ledger_post_v7', WRITE_SQL, values, { group, keys: accounts, lock: LOCK_BALANCES, batch: id });
    const number = rows.find((row) => row.key === id)?.number;
    return number === undefined ? undefined : { ...entry, number: Number(number) };
  } catch (error) {
    throw translateDbError(error);
  }
}

/**
 * The posting statement's four parameters for one entry (its head with its journal_entry.created event, its
 * lines, its base-currency balance changes, its account.balance_changed events), each a JSON array with one
 * entry's rows, with the ids it is written under, the entry as the API returns it (numbered by the
 * statement) and the accounts whose balances it changes.
 */
export function postingParameters(
  organizationId: string,
  prepared: PreparedEntry,
  context: Pick<LedgerContext, 'entryNumberSequence' | 'chartVersion'>,
  meta: EventMetadata,
): { id: string; entry: JournalEntry; values: string[]; accounts: string[] } {
  const id = newId('je');
  const createdAt = new Date().toISOString();
  const lineIds = prepared.lines.map(() => newId('jl'));
  const entry = entryFromPrepared(prepared, { id, number: 0, organizationId, lineIds, createdAt });
  const { base, changes } = balanceChanges(id, organizationId, prepared);
  const lines = prepared.lines.map((l, i) => ({ entry_id: id, id: lineIds[i], line_no: l.lineNo, account_id: l.account.id, direction: l.direction, amount: l.amount, currency: l.currency, base_amount: l.baseAmount, description: l.description, invoice_id: l.invoiceId, customer_id: l.customerId, bill_id: l.billId, vendor_id: l.vendorId }));
  const head = {
    id, organization_id: organizationId, chart_version: context.chartVersion, seq: context.entryNumberSequence, date: prepared.date, currency: prepared.currency,
    exchange_rate: prepared.exchangeRate, memo: prepared.memo, source_type: prepared.source?.type ?? null, source_id: prepared.source?.id ?? null, reversal_of: prepared.reversalOf,
    metadata: prepared.metadata, created_at: createdAt, event_id: newId('evt'), event_data: { object: entry }, meta,
  };
  return { id, entry, values: [JSON.stringify([head]), JSON.stringify(lines), JSON.stringify(base), JSON.stringify(changes)], accounts: base.map((b) => b.account_id) };
}

/**
 * Locks the balance rows of a group of postings in account-id order before any of them is written, when the
 * group goes out as one statement per posting (see db/group-commit.ts; as one statement, its upsert takes
 * them in that order itself). Every account has its row from its creation (migration 0019), so every row a
 * group writes is taken here, in order.
 */
const LOCK_BALANCES = { name: 'ledger_lock_balances_v1', text: 'SELECT account_id FROM account_balances WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE' };

export const WRITE_SQL = `
WITH input AS (
  SELECT x.* FROM jsonb_to_recordset(?::jsonb) AS x(id text, organization_id text, chart_version bigint, seq text, date date, currency text,
    exchange_rate numeric, memo text, source_type text, source_id text, reversal_of text, metadata jsonb, created_at timestamptz,
    event_id text, event_data jsonb, meta jsonb)
   WHERE EXISTS (SELECT 1 FROM ledger_settings s WHERE s.organization_id = x.organization_id AND s.chart_version = x.chart_version
                    AND (s.lock_date IS NULL OR s.lock_date < x.date))
), entry AS (
  INSERT INTO journal_entries (id, organization_id, number, date, currency, exchange_rate, memo, source_type, source_id, reversal_of, metadata, created_at, updated_at)
  SELECT id, organization_id, nextval(seq::regclass), date, currency, exchange_rate, memo, source_type, source_id, reversal_of, metadata, created_at, created_at
    FROM input ORDER BY id
  RETURNING id, organization_id, number, date
), lines AS (
  INSERT INTO journal_lines (id, organization_id, entry_id, line_no, entry_number, date, account_id, direction, amount, currency, base_amount, description, invoice_id, customer_id, bill_id, vendor_id)
  SELECT l.id, entry.organization_id, entry.id, l.line_no, entry.number, entry.date, l.account_id, l.direction, l.amount, l.currency, l.base_amount, l.description, l.invoice_id, l.customer_id, l.bill_id, l.vendor_id
    FROM jsonb_to_recordset(?::jsonb)
      AS l(entry_id text, id text, line_no smallint, account_id text, direction text, amount bigint, currency text, base_amount bigint, description text, invoice_id text, customer_id text, bill_id text, vendor_id text)
    JOIN entry ON entry.id = l.entry_id
), base AS (
  SELECT b.organization_id, b.account_id, sum(b.balance) AS balance
    FROM jsonb_to_recordset(?::jsonb) AS b(entry_id text, organization_id text, account_id text, balance bigint)
   WHERE b.entry_id IN (SELECT id FROM entry)
   GROUP BY b.organization_id, b.account_id
), change AS (
  SELECT c.*, e.organization_id, i.meta FROM jsonb_to_recordset(?::jsonb) AS c(entry_id text, k int, id text, account_id text, currency text, delta bigint)
    JOIN entry e ON e.id = c.entry_id JOIN input i ON i.id = c.entry_id
), per_account AS (
  SELECT account_id, jsonb_object_agg(currency, delta) AS currency_balances, sum(events)::bigint AS events
    FROM (SELECT account_id, currency, sum(delta) AS delta, count(*) AS events FROM change GROUP BY account_id, currency) per_currency
   GROUP BY account_id
), balances AS (
  INSERT INTO account_balances AS b (account_id, organization_id, balance, currency_balances, version)
  SELECT base.account_id, base.organization_id, base.balance, p.currency_balances, p.events
    FROM base JOIN per_account p ON p.account_id = base.account_id
   ORDER BY base.account_id
  ON CONFLICT (account_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance,
     currency_balances = (SELECT jsonb_object_agg(k, COALESCE((b.currency_balances ->> k)::bigint, 0) + COALESCE((EXCLUDED.currency_balances ->> k)::bigint, 0))
                            FROM jsonb_object_keys(b.currency_balances || EXCLUDED.currency_balances) AS k),
     version = b.version + EXCLUDED.version, updated_at = now()
  RETURNING b.account_id, b.currency_balances, b.version
), appended AS (
  INSERT INTO events (id, organization_id, type, aggregate_type, aggregate_id, version, data, metadata)
  SELECT id, organization_id, type, aggregate_type, aggregate_id, version, data, metadata FROM (
    SELECT i.event_id AS id, e.organization_id, 'journal_entry.created' AS type, 'journal_entry' AS aggregate_type, e.id AS aggregate_id, 1::bigint AS version,
           jsonb_set(i.event_data, '{object,number}', to_jsonb(e.number)) AS data, i.meta AS metadata, e.id AS entry_id, -1 AS k
      FROM entry e JOIN input i ON i.id = e.id
    UNION ALL
    SELECT c.id, c.organization_id, 'account.balance_changed', 'account', c.account_id, c.version,
           jsonb_build_object('object', jsonb_build_object('accountId', c.account_id, 'currency', c.currency,
             'balance', c.balance, 'previousBalance', c.balance - c.delta, 'entryId', c.entry_id)), c.meta, c.entry_id, c.k
      FROM (
        -- An account's events in entry order: each one's version and balance are the account's new ones less
        -- what the events after it in this statement add.
        SELECT c.*, b.version - count(*) OVER later AS version,
               (b.currency_balances ->> c.currency)::bigint - COALESCE(sum(c.delta) OVER later_in_currency, 0) AS balance
          FROM change c JOIN balances b ON b.account_id = c.account_id
        WINDOW later AS (PARTITION BY c.account_id ORDER BY c.entry_id, c.k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING),
               later_in_currency AS (PARTITION BY c.account_id, c.currency ORDER BY c.entry_id, c.k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
      ) c
  ) appended ORDER BY entry_id, k
)
SELECT id AS key, number FROM entry`;

/** The database's refusals, as the API's errors (the service checks first; these are the safety net). */
export function translateDbError(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code === '23514' && e.constraint === 'journal_entry_period_locked') return new AppError('PERIOD_LOCKED', `The books are locked for this date: ${e.message ?? ''}`.trim());
  if (e.code === '23514' && (e.constraint === 'journal_entry_balanced' || e.constraint === 'journal_entry_min_lines')) return new AppError('UNBALANCED_ENTRY', e.message);
  if (e.code === '23503' && e.constraint?.includes('account')) return unprocessable('A line refers to an account that is not in this organization.');
  return error;
}

const ENTRY_COLUMNS = `
  e.id, e.organization_id AS "organizationId", e.number, e.date::text AS date, e.currency, e.exchange_rate::text AS "exchangeRate",
  e.memo, e.source_type AS "sourceType", e.source_id AS "sourceId", e.reversal_of AS "reversalOf", e.reversed_by AS "reversedBy",
  e.metadata, e.created_at AS "createdAt", e.updated_at AS "updatedAt", s.base_currency AS "baseCurrency",
  (SELECT json_agg(json_build_object('id', l.id, 'accountId', l.account_id, 'accountCode', a.code, 'accountName', a.name,
                   'direction', l.direction, 'amount', l.amount, 'currency', l.currency, 'baseAmount', l.base_amount,
                   'description', l.description, 'invoiceId', l.invoice_id, 'customerId', l.customer_id, 'billId', l.bill_id, 'vendorId', l.vendor_id) ORDER BY l.line_no)
     FROM journal_lines l JOIN accounts a ON a.id = l.account_id WHERE l.entry_id = e.id) AS lines`;

interface EntryRow {
  id: string;
  organizationId: string;
  number: number;
  date: string;
  currency: CurrencyCode;
  exchangeRate: string | null;
  memo: string | null;
  sourceType: string | null;
  sourceId: string | null;
  reversalOf: string | null;
  reversedBy: string | null;
  metadata: Record<string, string>;
  createdAt: Date | string;
  updatedAt: Date | string;
  baseCurrency: CurrencyCode;
  lines: JournalLine[] | null;
}

/** `numeric` comes back padded to its scale ("1.100000000000"): the rate as it was given. */
function trimRate(rate: string | null): string | null {
  if (rate === null) return null;
  return rate.includes('.') ? rate.replace(/0+$/, '').replace(/\.$/, '') : rate;
}

function rowToEntry(row: EntryRow): JournalEntry {
  return toJournalEntry(
    {
      id: row.id,
      organizationId: row.organizationId,
      number: Number(row.number),
      date: row.date,
      currency: row.currency,
      exchangeRate: trimRate(row.exchangeRate),
      baseCurrency: row.baseCurrency,
      memo: row.memo,
      source: row.sourceType !== null && row.sourceId !== null ? { type: row.sourceType, id: row.sourceId } : null,
      reversalOf: row.reversalOf,
      reversedBy: row.reversedBy,
      metadata: row.metadata,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    },
    row.lines ?? [],
  );
}

export interface EntryFilter {
  id?: string;
  sourceType?: string;
  sourceId?: string;
  from?: string;
  to?: string;
  accountId?: string;
  afterNumber?: number;
  limit?: number;
  /** 'number' (posting order, default) or 'date' (journal order: date, then number). */
  order?: 'number' | 'date';
  forUpdate?: boolean;
}

/** Entries of one organization with their lines, in posting order (or journal order). */
export async function readEntries(db: Db, organizationId: string, filter: EntryFilter): Promise<JournalEntry[]> {
  const where: string[] = ['e.organization_id = ?'];
  const bindings: unknown[] = [organizationId];
  const add = (sql: string, ...values: unknown[]): void => {
    where.push(sql);
    bindings.push(...values);
  };
  if (filter.id !== undefined) add('e.id = ?', filter.id);
  if (filter.sourceType !== undefined) add('e.source_type = ?', filter.sourceType);
  if (filter.sourceId !== undefined) add('e.source_id = ?', filter.sourceId);
  if (filter.from !== undefined) add('e.date >= ?::date', filter.from);
  if (filter.to !== undefined) add('e.date <= ?::date', filter.to);
  if (filter.accountId !== undefined) add('EXISTS (SELECT 1 FROM journal_lines x WHERE x.entry_id = e.id AND x.account_id = ?)', filter.accountId);
  if (filter.afterNumber !== undefined) add('e.number > ?', filter.afterNumber);
  const order = filter.order === 'date' ? 'e.date, e.number' : 'e.number';
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.trunc(filter.limit)}` : '';
  const lock = filter.forUpdate ? ' FOR UPDATE OF e' : '';
  const sql = `SELECT ${ENTRY_COLUMNS} FROM journal_entries e JOIN ledger_settings s ON s.organization_id = e.organization_id WHERE ${where.join(' AND ')} ORDER BY ${order}${limit}${lock}`;
  const result = await db.raw<{ rows: EntryRow[] }>(sql, bindings as Knex.RawBinding[]);
  return result.rows.map(rowToEntry);
}
