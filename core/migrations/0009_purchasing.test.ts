import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing/database.js';

describe('migration 0009 on books that already exist', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    // Up to the migration before this one, with an organization whose chart already uses code 5100.
    db = await createTestDatabase({ poolMax: 2, upTo: '0004' });
    expect(await db.knex.migrate.currentVersion()).toBe('0004');
    await db.knex('organizations').insert({ id: 'org_OLD', name: 'Old Books', base_currency: 'USD' });
    await db.knex('ledger_settings').insert({ organization_id: 'org_OLD', base_currency: 'USD', entry_number_sequence: 'journal_entry_number_org_old' });
    await db.knex('accounts').insert([
      { id: 'acc_OLD1', organization_id: 'org_OLD', code: '5100', name: 'Freight', type: 'EXPENSE' },
      { id: 'acc_OLD2', organization_id: 'org_OLD', code: '1200', name: 'Inventory', type: 'ASSET', system_key: 'inventory' },
    ]);
    await db.migrate();
  });
  afterAll(() => db.close());

  it('gives an existing organization the inventory adjustments account on the first free code, and keeps the other system keys allowed', async () => {
    // Other contexts' migrations may add accounts of their own: only these three are this migration's concern.
    const rows = await db.knex('accounts').where('organization_id', 'org_OLD').whereIn('code', ['1200', '5100', '5101']).orderBy('code').select('code', 'system_key');
    expect(rows.map((r: { code: string; systemKey: string | null }) => [r.code, r.systemKey])).toEqual([['1200', 'inventory'], ['5100', null], ['5101', 'inventory_adjustments']]);
    expect(await db.knex('accounts').where({ organization_id: 'org_OLD', system_key: 'inventory_adjustments' }).count({ n: '*' }).first()).toEqual({ n: 1 });
    await db.knex('accounts').insert({ id: 'acc_OLD3', organization_id: 'org_OLD', code: '1000', name: 'Bank', type: 'ASSET', system_key: 'bank' });
    await expect(db.knex('accounts').insert({ id: 'acc_OLD4', organization_id: 'org_OLD', code: '9999', name: 'X', type: 'ASSET', system_key: 'no_such_key' })).rejects.toThrow(/accounts_system_key_check/);
  });
});
