import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { extendSystemKeys, PROJECT_ACCOUNTS } from '../../migrations/0010_projects.js';

/** Organizations that existed before the projects migration get its accounts when it runs. */
describe('0010_projects on existing books', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  it('adds the deferred revenue and payroll accounts to organizations that lack them, once, keeping the system keys allowed before', async () => {
    const k = hub.db.knex;
    const { id: before } = await hub.createOrganization('Before Ltd');
    const { id: clash } = await hub.createOrganization('Clash Ltd');
    const keys = PROJECT_ACCOUNTS.map((a) => a.key);
    // As the books were before the migration: no project accounts, and in one of them a user account on code 2400.
    const removed = k('accounts').whereIn('organization_id', [before, clash]).whereIn('system_key', keys).select('id');
    await k('account_balances').whereIn('account_id', removed).delete();
    await k('accounts').whereIn('organization_id', [before, clash]).whereIn('system_key', keys).delete();
    await k('accounts').insert({ id: 'acc_userowned2400', organization_id: clash, code: '2400', name: 'Loans from directors', type: 'LIABILITY' });

    await extendSystemKeys(k);
    await extendSystemKeys(k);

    for (const org of [before, clash]) {
      const rows = await k<{ code: string; systemKey: string; type: string }>('accounts').where('organization_id', org).whereIn('system_key', keys).select('code', 'system_key', 'type').orderBy('system_key');
      expect(rows.map((r) => r.systemKey)).toEqual([...keys].sort());
      expect(rows.find((r) => r.systemKey === 'deferred_revenue')?.code).toBe(org === clash ? '2400-P' : '2400');
    }
    const def = (await k.raw<{ rows: Array<{ def: string }> }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'accounts_system_key_check'")).rows[0]?.def ?? '';
    for (const key of ['bank', 'fx_gain_loss', 'disputed_funds', ...keys]) expect(def).toContain(`'${key}'`);
    // The accounts work: a milestone project posts to them.
    const wages = await hub.core.services.ledger.accountByKey(clash, 'wages_expense');
    expect(wages).toMatchObject({ code: '6200', type: 'EXPENSE' });
  });
});
