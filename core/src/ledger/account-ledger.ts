import type { Knex } from 'knex';
import type { Account, CurrencyCode, LedgerPosting, LedgerQuery, PostingDirection } from '@uah/schemas';
import { decodeCursor, toPage, type Page } from '../http/paging.js';
import { AppError } from '../http/errors.js';

type Db = Knex | Knex.Transaction;

export interface AccountBalance {
  account: Account;
  /** Base-currency minor units over the range. */
  debit: number;
  credit: number;
  /** Debit minus credit. */
  balance: number;
}

/** Debits and credits per account in base currency over an inclusive date range, from the postings. */
export async function sumByAccount(db: Db, organizationId: string, range: { from?: string | undefined; to?: string | undefined }): Promise<Map<string, { debit: number; credit: number }>> {
  const result = await db.raw<{ rows: Array<{ accountId: string; debit: number | string; credit: number | string }> }>(
    `SELECT l.account_id AS "accountId",
            COALESCE(sum(l.base_amount) FILTER (WHERE l.direction = 'DEBIT'), 0)::bigint AS debit,
            COALESCE(sum(l.base_amount) FILTER (WHERE l.direction = 'CREDIT'), 0)::bigint AS credit
       FROM journal_lines l
      WHERE l.account_id IN (SELECT a.id FROM accounts a WHERE a.organization_id = ?)
        AND (?::date IS NULL OR l.date >= ?::date) AND (?::date IS NULL OR l.date <= ?::date)
      GROUP BY l.account_id`,
    [organizationId, range.from ?? null, range.from ?? null, range.to ?? null, range.to ?? null],
  );
  return new Map(result.rows.map((r) => [r.accountId, { debit: Number(r.debit), credit: Number(r.credit) }]));
}

interface PostingRow {
  lineId: string;
  entryId: string;
  entryNumber: number;
  lineNo: number;
  date: string;
  direction: PostingDirection;
  amount: number;
  currency: CurrencyCode;
  baseAmount: number;
  description: string | null;
  memo: string | null;
  sourceType: string | null;
  sourceId: string | null;
  runningBalance: number | string;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}):(\d{1,18}):(\d{1,5})$/;

function parseCursor(cursor: string | undefined): [string, number, number] | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const match = CURSOR.exec(key);
  if (!match) throw new AppError('INVALID_CURSOR', 'The cursor is not one this list returned.', { errors: [{ field: '/cursor', in: 'query', message: 'unknown cursor' }] });
  return [match[1] ?? '', Number(match[2]), Number(match[3])];
}

/**
 * An account's postings oldest first (date, entry number, line), with the running balance after each.
 * The balance of everything before the page is summed in the same statement, so running balances are
 * exact on every page, whatever the filters: `from` hides earlier postings but they still count.
 */
export async function accountPostings(db: Db, account: Account, baseCurrency: CurrencyCode, query: LedgerQuery): Promise<Page<LedgerPosting>> {
  const limit = query.limit ?? 20;
  const after = parseCursor(query.cursor);
  const balanceCurrency = query.currency ?? account.currency ?? baseCurrency;
  // Without a currency the running balance is in base amounts; with one, in that currency's amounts.
  const useBase = query.currency === undefined && account.currency === null;
  const amount = useBase ? 'l.base_amount' : 'l.amount';
  const signed = `CASE WHEN l.direction = 'DEBIT' THEN ${amount} ELSE -${amount} END`;
  const filters: string[] = ['l.account_id = ?'];
  const bindings: Knex.RawBinding[] = [account.id];
  if (!useBase) {
    filters.push('l.currency = ?');
    bindings.push(balanceCurrency);
  }
  const common = filters.join(' AND ');
  const commonBindings = [...bindings];
  const pageFilters = [common];
  const pageBindings = [...bindings];
  const narrow = (sql: string, ...values: Knex.RawBinding[]): void => {
    pageFilters.push(sql);
    pageBindings.push(...values);
  };
  if (query.from !== undefined) narrow('l.date >= ?::date', query.from);
  if (query.to !== undefined) narrow('l.date <= ?::date', query.to);
  if (after) narrow('(l.date, l.entry_number, l.line_no) > (?::date, ?, ?)', ...after);

  const result = await db.raw<{ rows: PostingRow[] }>(
    `WITH page AS (
       SELECT l.id, l.entry_id, l.entry_number, l.line_no, l.date, l.direction, l.amount, l.currency, l.base_amount, l.description, ${signed} AS signed
         FROM journal_lines l WHERE ${pageFilters.join(' AND ')}
        ORDER BY l.date, l.entry_number, l.line_no LIMIT ?
     ), opening AS (
       SELECT COALESCE(sum(${signed}), 0)::bigint AS balance
         FROM journal_lines l, (SELECT date, entry_number, line_no FROM page ORDER BY date, entry_number, line_no LIMIT 1) f
        WHERE ${common} AND (l.date, l.entry_number, l.line_no) < (f.date, f.entry_number, f.line_no)
     )
     SELECT p.id AS "lineId", p.entry_id AS "entryId", p.entry_number AS "entryNumber", p.line_no AS "lineNo", p.date::text AS date,
            p.direction, p.amount, p.currency, p.base_amount AS "baseAmount", p.description, e.memo,
            e.source_type AS "sourceType", e.source_id AS "sourceId",
            (o.balance + sum(p.signed) OVER (ORDER BY p.date, p.entry_number, p.line_no))::bigint AS "runningBalance"
       FROM page p JOIN journal_entries e ON e.id = p.entry_id CROSS JOIN opening o
      ORDER BY p.date, p.entry_number, p.line_no`,
    [...pageBindings, limit + 1, ...commonBindings],
  );
  return toPage(result.rows, limit, (r) => `${r.date}:${r.entryNumber}:${r.lineNo}`, (r): LedgerPosting => ({
    object: 'ledger_posting',
    lineId: r.lineId,
    entryId: r.entryId,
    entryNumber: Number(r.entryNumber),
    date: r.date,
    accountId: account.id,
    direction: r.direction,
    amount: Number(r.amount),
    currency: r.currency,
    baseAmount: Number(r.baseAmount),
    memo: r.memo,
    description: r.description,
    source: r.sourceType !== null && r.sourceId !== null ? { type: r.sourceType, id: r.sourceId } : null,
    runningBalance: Number(r.runningBalance),
    balanceCurrency,
  }));
}
