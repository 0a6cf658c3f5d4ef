import type { Knex } from 'knex';
import type { CurrencyCode } from '@uah/schemas';

type Db = Knex | Knex.Transaction;

/** What one bill is still owed at a date, from the payables lines that name it. */
export interface BillPayable {
  billId: string;
  vendorId: string | null;
  /** Credit minus debit in base-currency minor units: what the ledger owes on the bill (positive while owed). */
  baseBalance: number;
  /** Credit minus debit per line currency. */
  currencyBalances: Partial<Record<CurrencyCode, number>>;
}

/** The net of one journal entry's payables lines that name no bill (manual entries to AP), credit minus debit. */
export interface UnallocatedPayable {
  entryId: string;
  entryNumber: number;
  date: string;
  memo: string | null;
  baseBalance: number;
}

export interface PayablesAsOf {
  asOf: string;
  /** The organization's payables account (system key `payables`). */
  accountId: string | null;
  /** The account's credit balance at `asOf` (credit minus debit, base currency): bills plus unallocated. */
  balance: number;
  /** Bills with a non-zero balance, in bill id order (chronological). */
  bills: BillPayable[];
  unallocated: UnallocatedPayable[];
}

interface Row {
  billId: string | null;
  vendorId: string | null;
  currency: CurrencyCode;
  entryId: string | null;
  entryNumber: number | string | null;
  date: string | null;
  memo: string | null;
  amount: number | string;
  baseAmount: number | string;
}

/**
 * The payables subledger as of a day, from the postings alone, the mirror of `receivablesAsOf`: the lines
 * of the payables account dated on or before `asOf`, summed per bill reference (and per line currency),
 * and the lines without a reference summed per entry. Every line of the account is counted exactly once,
 * so the total is the account's balance in the trial balance at that date.
 */
export async function payablesAsOf(db: Db, organizationId: string, asOf: string): Promise<PayablesAsOf> {
  const account = await db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM accounts WHERE organization_id = ? AND system_key = 'payables'`, [organizationId]);
  const accountId = account.rows[0]?.id ?? null;
  if (accountId === null) return { asOf, accountId, balance: 0, bills: [], unallocated: [] };
  const result = await db.raw<{ rows: Row[] }>(
    `SELECT l.bill_id AS "billId", min(l.vendor_id) AS "vendorId", l.currency,
            CASE WHEN l.bill_id IS NULL THEN l.entry_id END AS "entryId",
            min(l.entry_number) AS "entryNumber", min(l.date)::text AS date, min(e.memo) AS memo,
            sum(CASE WHEN l.direction = 'CREDIT' THEN l.amount ELSE -l.amount END)::bigint AS amount,
            sum(CASE WHEN l.direction = 'CREDIT' THEN l.base_amount ELSE -l.base_amount END)::bigint AS "baseAmount"
       FROM journal_lines l
       LEFT JOIN journal_entries e ON l.bill_id IS NULL AND e.id = l.entry_id
      WHERE l.organization_id = ? AND l.account_id = ? AND l.date <= ?::date
      GROUP BY l.bill_id, l.currency, CASE WHEN l.bill_id IS NULL THEN l.entry_id END`,
    [organizationId, accountId, asOf],
  );
  const bills = new Map<string, BillPayable>();
  const unallocated = new Map<string, UnallocatedPayable>();
  let balance = 0;
  for (const row of result.rows) {
    const base = Number(row.baseAmount);
    balance += base;
    if (row.billId === null) {
      const entryId = row.entryId ?? '';
      const entry = unallocated.get(entryId) ?? { entryId, entryNumber: Number(row.entryNumber), date: row.date ?? asOf, memo: row.memo, baseBalance: 0 };
      entry.baseBalance += base;
      unallocated.set(entryId, entry);
      continue;
    }
    const bill = bills.get(row.billId) ?? { billId: row.billId, vendorId: row.vendorId, baseBalance: 0, currencyBalances: {} };
    bill.baseBalance += base;
    bill.currencyBalances[row.currency] = (bill.currencyBalances[row.currency] ?? 0) + Number(row.amount);
    bill.vendorId ??= row.vendorId;
    bills.set(row.billId, bill);
  }
  const open = (b: BillPayable): boolean => b.baseBalance !== 0 || Object.values(b.currencyBalances).some((v) => v !== 0);
  return {
    asOf,
    accountId,
    balance,
    bills: [...bills.values()].filter(open).sort((a, b) => (a.billId < b.billId ? -1 : 1)),
    unallocated: [...unallocated.values()].filter((u) => u.baseBalance !== 0).sort((a, b) => a.entryNumber - b.entryNumber),
  };
}
