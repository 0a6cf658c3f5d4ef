import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing/database.js';
import { down } from './0019_account_balance_rows.js';

type BalanceRow = { accountId: string; balance: number; version: number };
const balanceRows = async (db: TestDatabase): Promise<BalanceRow[]> => db.knex('account_balances').select('account_id', 'balance', 'version').orderBy('account_id');

const account = (id: string, code: string) => ({ id, organization_id: 'org_OLD', code, name: `Account ${code}`, type: 'ASSET' });

describe('migration 0019: every account has its balance row', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db.close();
  });

  it('gives existing accounts without postings a zero row, leaves posted ones as they are, and opens one with each new account', async () => {
    db = await createTestDatabase({ poolMax: 2, upTo: '0018' });
    await db.knex('organizations').insert({ id: 'org_OLD', name: 'Old Ltd', base_currency: 'USD' });
    await db.knex('accounts').insert([account('acc_A', '1000'), account('acc_B', '1100')]);
    await db.knex('account_balances').insert({ accountId: 'acc_A', organization_id: 'org_OLD', balance: 500, currency_balances: { USD: 500 }, version: 3 });

    await db.migrate();
    expect(await balanceRows(db)).toEqual([
      { accountId: 'acc_A', balance: 500, version: 3 },
      { accountId: 'acc_B', balance: 0, version: 0 },
    ]);

    await db.knex('accounts').insert(account('acc_C', '1200'));
    expect((await balanceRows(db)).map((r) => r.accountId)).toEqual(['acc_A', 'acc_B', 'acc_C']);

    await down(db.knex);
    expect(await balanceRows(db)).toEqual([{ accountId: 'acc_A', balance: 500, version: 3 }]);
    await db.knex('accounts').insert(account('acc_D', '1300'));
    expect((await balanceRows(db)).map((r) => r.accountId)).toEqual(['acc_A']);
  });
});
