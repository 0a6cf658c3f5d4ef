import type { Knex } from 'knex';
import type { EventMetadata, JournalEntryPreview } from '@uah/schemas';
import { balanceDeltas } from './posting.js';
import type { PreparedEntry } from './types.js';

type Db = Knex | Knex.Transaction;

/**
 * What posting a prepared entry would do, read-only: the lines with their base amounts, each touched
 * balance before and after (as of now: concurrent postings may move it), and the events that would be
 * appended. The entry has no id or number until it is really posted.
 */
export async function previewEntry(db: Db, organizationId: string, prepared: PreparedEntry, meta: EventMetadata): Promise<JournalEntryPreview> {
  const deltas = balanceDeltas(prepared.lines);
  const accountIds = [...new Set(deltas.map((d) => d.accountId))];
  const current = await db.raw<{ rows: Array<{ accountId: string; currencyBalances: Record<string, number> }> }>(
    `SELECT account_id AS "accountId", currency_balances AS "currencyBalances" FROM account_balances
      WHERE organization_id = ? AND account_id IN (SELECT jsonb_array_elements_text(?::jsonb))`,
    [organizationId, JSON.stringify(accountIds)],
  );
  const balances = new Map(current.rows.map((r) => [r.accountId, r.currencyBalances]));
  const balanceChanges = deltas.map((d) => {
    const previousBalance = Number(balances.get(d.accountId)?.[d.currency] ?? 0);
    return { accountId: d.accountId, accountCode: d.accountCode, currency: d.currency, previousBalance, balance: previousBalance + d.amount };
  });
  const preview: Omit<JournalEntryPreview, 'balanceChanges' | 'events'> = {
    object: 'journal_entry_preview',
    id: null,
    number: null,
    organizationId,
    date: prepared.date,
    currency: prepared.currency,
    exchangeRate: prepared.exchangeRate,
    baseCurrency: prepared.baseCurrency,
    memo: prepared.memo,
    source: prepared.source,
    reversalOf: prepared.reversalOf,
    lines: prepared.lines.map((l) => ({ accountId: l.account.id, accountCode: l.account.code, accountName: l.account.name, direction: l.direction, amount: l.amount, currency: l.currency, baseAmount: l.baseAmount, description: l.description })),
    totals: prepared.totals,
    baseTotal: prepared.baseTotal,
    metadata: prepared.metadata,
  };
  const timestamp = new Date().toISOString();
  const event = (type: 'journal_entry.created' | 'account.balance_changed', aggregateType: string, aggregateId: string | null, object: object) =>
    ({ object: 'event' as const, type, aggregateType, aggregateId, organizationId, data: { object }, metadata: meta, timestamp });
  const events = [
    event('journal_entry.created', 'journal_entry', null, preview),
    ...balanceChanges.map((c) => event('account.balance_changed', 'account', c.accountId, { accountId: c.accountId, currency: c.currency, balance: c.balance, previousBalance: c.previousBalance, entryId: null })),
  ];
  return { ...preview, balanceChanges, events };
}
