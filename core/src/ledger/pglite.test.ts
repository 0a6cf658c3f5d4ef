import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMetadata } from '@uah/schemas';
import { createCore, type Core } from '../core.js';
import { createDatabase, type Database } from '../db/database.js';
import { createMemoryBus } from '../events/memory-bus.js';
import { newId } from '../shared/ids.js';

/** The embedded PostgreSQL (PGlite, the hub's default) runs the same ledger: migration, triggers, posting path. */
describe('ledger on the embedded PostgreSQL', () => {
  let dir: string;
  let db: Database;
  let core: Core;
  let orgId: string;
  const meta: EventMetadata = { source: 'SYSTEM' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uah-pglite-'));
    db = await createDatabase({ dataDir: dir });
    await db.migrate();
    const logger = pino({ level: 'silent' });
    core = createCore({ knex: db.knex, bus: createMemoryBus({ logger }), logger, adminToken: { verify: async () => false } });
    orgId = (await core.services.organizations.create({ name: 'Embedded', baseCurrency: 'EUR' })).id;
  });
  afterAll(async () => {
    await core.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts, reverses, reports and exports, in a caller transaction too', async () => {
    const { ledger } = core.services;
    const first = await ledger.createEntry(orgId, { date: '2026-04-01', currency: 'EUR', lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 5000 }, { accountCode: '3000', direction: 'CREDIT', amount: 5000 }] }, meta);
    expect(first).toMatchObject({ object: 'journal_entry', number: 1, baseCurrency: 'EUR' });
    const second = await db.knex.transaction((trx) =>
      ledger.post(trx, orgId, { date: '2026-04-02', currency: 'USD', exchangeRate: '0.92', source: { type: 'invoice', id: 'inv_1' }, lines: [{ account: { key: 'receivables' }, direction: 'DEBIT', amount: 1000 }, { account: { key: 'sales_revenue' }, direction: 'CREDIT', amount: 1000 }] }, meta),
    );
    expect(second.lines.map((l) => l.baseAmount)).toEqual([920, 920]);
    const reversal = await db.knex.transaction((trx) => ledger.reverse(trx, orgId, second.id, {}, meta));
    expect(reversal).toMatchObject({ number: 3, reversalOf: second.id });
    expect((await ledger.entriesForSource(orgId, 'invoice', 'inv_1')).map((e) => e.number)).toEqual([2, 3]);
    const balances = await ledger.accountBalances(orgId, { to: '2026-04-30' });
    expect(balances.reduce((s, b) => s + b.balance, 0)).toBe(0);
    expect(balances.find((b) => b.account.code === '1000')).toMatchObject({ debit: 5000, credit: 0, balance: 5000 });
    expect((await ledger.accountByKey(orgId, 'receivables')).balance).toBe(0);
    expect(await ledger.exportJournal(orgId, {})).toContain('2026-04-02 (2) invoice inv_1');
  });

  it('refuses an unbalanced entry written with raw SQL at commit', async () => {
    const bank = await core.services.ledger.accountByKey(orgId, 'bank');
    const id = newId('je');
    await expect(
      db.knex.transaction(async (trx) => {
        await trx.raw('INSERT INTO journal_entries (id, organization_id, number, date, currency) VALUES (?, ?, 99, ?, ?)', [id, orgId, '2026-04-03', 'EUR']);
        await trx.raw(`INSERT INTO journal_lines (id, organization_id, entry_id, line_no, entry_number, date, account_id, direction, amount, currency, base_amount)
                       VALUES (?, ?, ?, 1, 99, '2026-04-03', ?, 'DEBIT', 10, 'EUR', 10)`, [newId('jl'), orgId, id, bank.id]);
      }),
    ).rejects.toThrow(/at least two/);
    expect(await db.knex('journal_entries').where({ id }).first()).toBeUndefined();
  });
});
