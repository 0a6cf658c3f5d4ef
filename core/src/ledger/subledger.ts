import type { Knex } from 'knex';
import type { CurrencyCode } from '@uah/schemas';

type Db = Knex | Knex.Transaction;

/** Which control account a subledger reads, which line references name its documents, and its normal side. */
export interface SubledgerSpec {
  systemKey: 'receivables' | 'payables';
  documentColumn: 'invoice_id' | 'bill_id';
  partyColumn: 'customer_id' | 'vendor_id';
  /** Balances are this side minus the other (DEBIT for receivables, CREDIT for payables). */
  normalSide: 'DEBIT' | 'CREDIT';
}

/** What one document carries at a date, from the control-account lines that name it. */
export interface DocumentBalance {
  documentId: string;
  /** From the lines' reference (null only if no line named the party). */
  partyId: string | null;
  /** Normal side minus the other, base-currency minor units. */
  baseBalance: number;
  /** The same per line currency: for a foreign-currency document its own currency gives its balance. */
  currencyBalances: Partial<Record<CurrencyCode, number>>;
}

/** The net of one journal entry's control-account lines that name no document (manual entries). */
export interface UnallocatedEntry {
  entryId: string;
  entryNumber: number;
  date: string;
  memo: string | null;
  /** Normal side minus the other, base-currency minor units. */
  baseBalance: number;
}

export interface Subledger {
  asOf: string;
  accountId: string | null;
  /** The account's balance at `asOf` on its normal side: documents plus unallocated. */
  balance: number;
  /** Documents with a non-zero balance (base or own currency), in id order (chronological). */
  documents: DocumentBalance[];
  /** Entries whose lines name no document and do not net to zero, in posting order. */
  unallocated: UnallocatedEntry[];
}

interface Row {
  documentId: string | null;
  partyId: string | null;
  currency: CurrencyCode;
  entryId: string | null;
  entryNumber: number | string | null;
  date: string | null;
  memo: string | null;
  amount: number | string;
  baseAmount: number | string;
}

/**
 * A subledger (receivables by invoice, payables by bill) as of a day, from the postings alone: the lines of
 * the control account dated on or before `asOf`, summed per document reference (and per line currency),
 * and the lines without a reference summed per entry. Every line of the account is counted exactly once,
 * so the total is the account's balance in the trial balance at that date, by construction.
 */
export async function subledgerAsOf(db: Db, organizationId: string, asOf: string, spec: SubledgerSpec): Promise<Subledger> {
  const account = await db.raw<{ rows: Array<{ id: string }> }>('SELECT id FROM accounts WHERE organization_id = ? AND system_key = ?', [organizationId, spec.systemKey]);
  const accountId = account.rows[0]?.id ?? null;
  if (accountId === null) return { asOf, accountId, balance: 0, documents: [], unallocated: [] };
  const doc = spec.documentColumn;
  const result = await db.raw<{ rows: Row[] }>(
    `SELECT l.?? AS "documentId", min(l.??) AS "partyId", l.currency,
            CASE WHEN l.?? IS NULL THEN l.entry_id END AS "entryId",
            min(l.entry_number) AS "entryNumber", min(l.date)::text AS date, min(e.memo) AS memo,
            sum(CASE WHEN l.direction = ? THEN l.amount ELSE -l.amount END)::bigint AS amount,
            sum(CASE WHEN l.direction = ? THEN l.base_amount ELSE -l.base_amount END)::bigint AS "baseAmount"
       FROM journal_lines l
       LEFT JOIN journal_entries e ON l.?? IS NULL AND e.id = l.entry_id
      WHERE l.organization_id = ? AND l.account_id = ? AND l.date <= ?::date
      GROUP BY l.??, l.currency, CASE WHEN l.?? IS NULL THEN l.entry_id END`,
    [doc, spec.partyColumn, doc, spec.normalSide, spec.normalSide, doc, organizationId, accountId, asOf, doc, doc],
  );
  const documents = new Map<string, DocumentBalance>();
  const unallocated = new Map<string, UnallocatedEntry>();
  let balance = 0;
  for (const row of result.rows) {
    const base = Number(row.baseAmount);
    balance += base;
    if (row.documentId === null) {
      const entryId = row.entryId ?? '';
      const entry = unallocated.get(entryId) ?? { entryId, entryNumber: Number(row.entryNumber), date: row.date ?? asOf, memo: row.memo, baseBalance: 0 };
      entry.baseBalance += base;
      unallocated.set(entryId, entry);
      continue;
    }
    const document = documents.get(row.documentId) ?? { documentId: row.documentId, partyId: row.partyId, baseBalance: 0, currencyBalances: {} };
    document.baseBalance += base;
    document.currencyBalances[row.currency] = (document.currencyBalances[row.currency] ?? 0) + Number(row.amount);
    document.partyId ??= row.partyId;
    documents.set(row.documentId, document);
  }
  const open = (d: DocumentBalance): boolean => d.baseBalance !== 0 || Object.values(d.currencyBalances).some((v) => v !== 0);
  return {
    asOf,
    accountId,
    balance,
    documents: [...documents.values()].filter(open).sort((a, b) => (a.documentId < b.documentId ? -1 : 1)),
    unallocated: [...unallocated.values()].filter((u) => u.baseBalance !== 0).sort((a, b) => a.entryNumber - b.entryNumber),
  };
}
