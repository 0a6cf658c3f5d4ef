import type { Knex } from 'knex';
import type { CurrencyCode } from '@uah/schemas';

type Db = Knex | Knex.Transaction;

/** What one invoice still owes at a date, from the receivables lines that name it. */
export interface InvoiceReceivable {
  invoiceId: string;
  /** From the lines' reference (null only if no line named the customer). */
  customerId: string | null;
  /** Debit minus credit in base-currency minor units: what the ledger carries for the invoice. */
  baseBalance: number;
  /**
   * Debit minus credit per line currency. For an invoice in a foreign currency its own currency gives the
   * balance in the document's terms; the base-currency part is the realized FX adjustments.
   */
  currencyBalances: Partial<Record<CurrencyCode, number>>;
}

/** The net of one journal entry's receivables lines that name no invoice (manual entries to AR). */
export interface UnallocatedReceivable {
  entryId: string;
  entryNumber: number;
  date: string;
  memo: string | null;
  /** Debit minus credit, base-currency minor units. */
  baseBalance: number;
}

export interface ReceivablesAsOf {
  asOf: string;
  /** The organization's receivables account (system key `receivables`). */
  accountId: string | null;
  /** The account's balance at `asOf` (debit minus credit, base currency): invoices plus unallocated. */
  balance: number;
  /** Invoices with a non-zero balance (base or own currency), in invoice id order (chronological). */
  invoices: InvoiceReceivable[];
  /** Entries whose receivables lines name no invoice and do not net to zero, in posting order. */
  unallocated: UnallocatedReceivable[];
}

interface Row {
  invoiceId: string | null;
  customerId: string | null;
  currency: CurrencyCode;
  entryId: string | null;
  entryNumber: number | string | null;
  date: string | null;
  memo: string | null;
  amount: number | string;
  baseAmount: number | string;
}

/**
 * The receivables subledger as of a day, from the postings alone: the lines of the receivables account
 * dated on or before `asOf`, summed per invoice reference (and per line currency), and the lines without
 * a reference summed per entry. Its total is the account's balance in the trial balance at that date, by
 * construction: every line of the account is counted exactly once.
 */
export async function receivablesAsOf(db: Db, organizationId: string, asOf: string): Promise<ReceivablesAsOf> {
  const account = await db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM accounts WHERE organization_id = ? AND system_key = 'receivables'`, [organizationId]);
  const accountId = account.rows[0]?.id ?? null;
  if (accountId === null) return { asOf, accountId, balance: 0, invoices: [], unallocated: [] };
  const result = await db.raw<{ rows: Row[] }>(
    `SELECT l.invoice_id AS "invoiceId", min(l.customer_id) AS "customerId", l.currency,
            CASE WHEN l.invoice_id IS NULL THEN l.entry_id END AS "entryId",
            min(l.entry_number) AS "entryNumber", min(l.date)::text AS date, min(e.memo) AS memo,
            sum(CASE WHEN l.direction = 'DEBIT' THEN l.amount ELSE -l.amount END)::bigint AS amount,
            sum(CASE WHEN l.direction = 'DEBIT' THEN l.base_amount ELSE -l.base_amount END)::bigint AS "baseAmount"
       FROM journal_lines l
       LEFT JOIN journal_entries e ON l.invoice_id IS NULL AND e.id = l.entry_id
      WHERE l.organization_id = ? AND l.account_id = ? AND l.date <= ?::date
      GROUP BY l.invoice_id, l.currency, CASE WHEN l.invoice_id IS NULL THEN l.entry_id END`,
    [organizationId, accountId, asOf],
  );
  const invoices = new Map<string, InvoiceReceivable>();
  const unallocated = new Map<string, UnallocatedReceivable>();
  let balance = 0;
  for (const row of result.rows) {
    const base = Number(row.baseAmount);
    balance += base;
    if (row.invoiceId === null) {
      const entryId = row.entryId ?? '';
      const entry = unallocated.get(entryId) ?? { entryId, entryNumber: Number(row.entryNumber), date: row.date ?? asOf, memo: row.memo, baseBalance: 0 };
      entry.baseBalance += base;
      unallocated.set(entryId, entry);
      continue;
    }
    const invoice = invoices.get(row.invoiceId) ?? { invoiceId: row.invoiceId, customerId: row.customerId, baseBalance: 0, currencyBalances: {} };
    invoice.baseBalance += base;
    invoice.currencyBalances[row.currency] = (invoice.currencyBalances[row.currency] ?? 0) + Number(row.amount);
    invoice.customerId ??= row.customerId;
    invoices.set(row.invoiceId, invoice);
  }
  const open = (i: InvoiceReceivable): boolean => i.baseBalance !== 0 || Object.values(i.currencyBalances).some((v) => v !== 0);
  return {
    asOf,
    accountId,
    balance,
    invoices: [...invoices.values()].filter(open).sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1)),
    unallocated: [...unallocated.values()].filter((u) => u.baseBalance !== 0).sort((a, b) => a.entryNumber - b.entryNumber),
  };
}
