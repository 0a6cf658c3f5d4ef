import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { newId } from '../shared/ids.js';

/** The database itself keeps the books right: these tests bypass the service and write raw SQL. */
describe('ledger rules enforced by the database', () => {
  let hub: TestHub;
  let knex: Knex;
  let orgId: string;
  let otherOrgId: string;
  const ids: Record<string, string> = {};
  let number = 1000;

  interface RawLine { account: string; direction: 'DEBIT' | 'CREDIT'; amount: number; base?: number; currency?: string; date?: string; org?: string }

  async function insertEntry(trx: Knex.Transaction, lines: RawLine[], options: { date?: string; org?: string } = {}): Promise<string> {
    const id = newId('je');
    const entryNumber = ++number;
    const date = options.date ?? '2026-05-01';
    await trx.raw('INSERT INTO journal_entries (id, organization_id, number, date, currency) VALUES (?, ?, ?, ?, ?)', [id, options.org ?? orgId, entryNumber, date, 'USD']);
    let lineNo = 0;
    for (const l of lines) {
      await trx.raw(
        `INSERT INTO journal_lines (id, organization_id, entry_id, line_no, entry_number, date, account_id, direction, amount, currency, base_amount)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [newId('jl'), l.org ?? options.org ?? orgId, id, ++lineNo, entryNumber, l.date ?? date, l.account, l.direction, l.amount, l.currency ?? 'USD', l.base ?? l.amount],
      );
    }
    return id;
  }
  const post = (lines: RawLine[], options: { date?: string; org?: string } = {}) => knex.transaction((trx) => insertEntry(trx, lines, options));
  const count = async () => Number((await knex('journal_entries').count({ n: '*' }).first())?.n) + Number((await knex('journal_lines').count({ n: '*' }).first())?.n) * 1000;
  const balanced = (amount = 100): RawLine[] => [
    { account: ids['bank'] ?? '', direction: 'DEBIT', amount },
    { account: ids['revenue'] ?? '', direction: 'CREDIT', amount },
  ];

  beforeAll(async () => {
    hub = await createTestHub();
    knex = hub.db.knex;
    orgId = (await hub.createOrganization('Rules Inc', 'USD')).id;
    otherOrgId = (await hub.createOrganization('Elsewhere', 'USD')).id;
    for (const [name, key, org] of [['bank', 'bank', orgId], ['revenue', 'service_revenue', orgId], ['otherBank', 'bank', otherOrgId]] as const) {
      ids[name] = (await knex('accounts').where({ organizationId: org, systemKey: key }).first('id')).id as string;
    }
  });
  afterAll(() => hub.close());

  it('accepts a balanced entry written directly (the control case)', async () => {
    const before = await count();
    await post(balanced());
    expect(await count()).toBe(before + 1 + 2000);
  });

  it('refuses, at commit, an entry that does not balance per currency or in base currency, or has one line', async () => {
    const before = await count();
    await expect(post([{ account: ids['bank'] ?? '', direction: 'DEBIT', amount: 100 }, { account: ids['revenue'] ?? '', direction: 'CREDIT', amount: 99 }])).rejects.toThrow(/does not balance in USD/);
    await expect(post([{ account: ids['bank'] ?? '', direction: 'DEBIT', amount: 100, base: 100 }, { account: ids['revenue'] ?? '', direction: 'CREDIT', amount: 100, base: 101 }])).rejects.toThrow(/does not balance in base currency/);
    await expect(post([{ account: ids['bank'] ?? '', direction: 'DEBIT', amount: 100 }])).rejects.toThrow(/needs at least two/);
    await expect(post([])).rejects.toThrow(/needs at least two/);
    await expect(post([{ account: ids['bank'] ?? '', direction: 'DEBIT', amount: 50, currency: 'EUR' }, { account: ids['revenue'] ?? '', direction: 'CREDIT', amount: 50 }])).rejects.toThrow(/does not balance in (EUR|USD)/);
    expect(await count()).toBe(before);
  });

  it('refuses lines that disagree with their entry, or accounts of another organization', async () => {
    const before = await count();
    await expect(post([{ ...balanced()[0]!, date: '2026-05-02' }, balanced()[1]!])).rejects.toThrow(/disagree/);
    await expect(post([{ account: ids['otherBank'] ?? '', direction: 'DEBIT', amount: 100 }, balanced()[1]!])).rejects.toThrow(/foreign key/);
    await expect(post([{ account: ids['otherBank'] ?? '', direction: 'DEBIT', amount: 100, org: otherOrgId }, balanced()[1]!])).rejects.toThrow(/disagree/);
    await expect(post([{ account: ids['bank'] ?? '', direction: 'DEBIT', amount: 0 }, { account: ids['revenue'] ?? '', direction: 'CREDIT', amount: 0 }])).rejects.toThrow(/check constraint/);
    expect(await count()).toBe(before);
  });

  it('never changes or deletes posted lines and entries', async () => {
    const id = await post(balanced(300));
    const before = await count();
    await expect(knex.raw('UPDATE journal_lines SET amount = 1 WHERE entry_id = ?', [id])).rejects.toThrow(/immutable/);
    await expect(knex.raw('DELETE FROM journal_lines WHERE entry_id = ?', [id])).rejects.toThrow(/immutable/);
    await expect(knex.raw('UPDATE journal_entries SET memo = ? WHERE id = ?', ['edited', id])).rejects.toThrow(/immutable/);
    await expect(knex.raw('UPDATE journal_entries SET date = date + 1 WHERE id = ?', [id])).rejects.toThrow(/immutable/);
    await expect(knex.raw('DELETE FROM journal_entries WHERE id = ?', [id])).rejects.toThrow(/immutable/);
    await expect(knex.raw('TRUNCATE journal_lines')).rejects.toThrow(/immutable/);
    // A balanced pair added later, by another transaction, is still a change to a posted entry.
    await expect(
      knex.transaction(async (trx) => {
        for (const [i, l] of balanced(5).entries()) {
          await trx.raw(
            `INSERT INTO journal_lines (id, organization_id, entry_id, line_no, entry_number, date, account_id, direction, amount, currency, base_amount)
             SELECT ?, organization_id, id, ?, number, date, ?, ?, ?, 'USD', ? FROM journal_entries WHERE id = ?`,
            [newId('jl'), 10 + i, l.account, l.direction, l.amount, l.amount, id],
          );
        }
      }),
    ).rejects.toThrow(/foreign key/);
    expect(await count()).toBe(before);
    const row = await knex('journal_lines').where({ entryId: id }).orderBy('line_no').select('amount');
    expect(row.map((r: { amount: number }) => Number(r.amount))).toEqual([300, 300]);
  });

  it('lets reversed_by be set once, and nothing else with it', async () => {
    const original = await post(balanced(40));
    const reversal = await post(balanced(40).map((l) => ({ ...l, direction: l.direction === 'DEBIT' ? 'CREDIT' : 'DEBIT' })));
    await expect(knex.raw('UPDATE journal_entries SET reversed_by = ?, memo = ? WHERE id = ?', [reversal, 'sneaky', original])).rejects.toThrow(/immutable/);
    await knex.raw('UPDATE journal_entries SET reversed_by = ?, updated_at = now() WHERE id = ?', [reversal, original]);
    await expect(knex.raw('UPDATE journal_entries SET reversed_by = ? WHERE id = ?', [original, original])).rejects.toThrow(/immutable/);
    expect((await knex('journal_entries').where({ id: original }).first('reversed_by')).reversedBy).toBe(reversal);
  });

  it('refuses a posting dated on or before the lock date', async () => {
    await knex('ledger_settings').where({ organizationId: orgId }).update({ lockDate: '2026-04-30' });
    const before = await count();
    await expect(post(balanced(), { date: '2026-04-30' })).rejects.toThrow(/lock date/);
    await expect(post(balanced(), { date: '2020-01-01' })).rejects.toThrow(/lock date/);
    expect(await count()).toBe(before);
    await post(balanced(), { date: '2026-05-01' });
    await knex('ledger_settings').where({ organizationId: orgId }).update({ lockDate: null });
  });
});
