import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase } from '../testing/database.js';

/** The rules the database keeps by itself, whatever the service does (raw writes, no service involved). */
describe('payment tables: database constraints', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = db.knex;
    // Only the payment tables' own rules are under test here: references into the ledger's and the
    // invoices' tables (whose rows would need those contexts) are dropped in this throwaway schema.
    const foreign = await knex.raw<{ rows: Array<{ table: string; name: string }> }>(
      `SELECT conrelid::regclass::text AS table, conname AS name FROM pg_constraint
        WHERE contype = 'f' AND conrelid::regclass::text IN ('payments', 'payment_applications', 'payment_refunds')
          AND confrelid::regclass::text IN ('journal_entries', 'invoices')`,
    );
    for (const c of foreign.rows) await knex.raw('ALTER TABLE ?? DROP CONSTRAINT ??', [c.table, c.name]);
    await knex('organizations').insert([{ id: 'org_a', name: 'A', base_currency: 'USD' }, { id: 'org_b', name: 'B', base_currency: 'USD' }]);
    await knex('customers').insert([{ id: 'cus_a', organization_id: 'org_a', tier: 'SMALL_BUSINESS', currency: 'USD' }, { id: 'cus_b', organization_id: 'org_b', tier: 'SMALL_BUSINESS', currency: 'USD' }]);
  });
  afterAll(() => db.close());

  let n = 0;
  const payment = (extra: Record<string, unknown> = {}) => ({ id: `pay_${++n}`, organization_id: 'org_a', customer_id: 'cus_a', method: 'CASH', status: 'PENDING', currency: 'USD', amount: 1000, date: '2026-01-01', ...extra });
  const count = async (table: string): Promise<number> => Number((await knex(table).count({ n: '*' }).first())?.n);

  it('refuses amounts, fees, statuses and rates that make no sense', async () => {
    const before = await count('payments');
    for (const bad of [{ amount: 0 }, { amount: -5 }, { fees: 1001 }, { status: 'LOST' }, { method: 'BARTER' }, { exchange_rate: '1,2' }, { status: 'COMPLETED' }, { amount_refunded: 10 }]) {
      await expect(knex('payments').insert(payment(bad)), JSON.stringify(bad)).rejects.toThrow();
    }
    expect(await count('payments')).toBe(before);
  });

  it("refuses a payment naming another organization's customer", async () => {
    await expect(knex('payments').insert(payment({ customer_id: 'cus_b' }))).rejects.toThrow(/foreign key/);
  });

  it('refuses, at commit, applications and refunds that exceed the payment', async () => {
    const tryTx = (work: (trx: Knex.Transaction) => Promise<void>) => knex.transaction(work);
    const p = payment({ status: 'COMPLETED', journal_entry_id: 'je_x' });
    await knex('payments').insert(p);
    await expect(tryTx(async (trx) => {
      await trx('payment_applications').insert([{ id: 'papp_1', organization_id: 'org_a', payment_id: p.id, invoice_id: 'inv_1', amount: 600, applied_at: new Date() }, { id: 'papp_2', organization_id: 'org_a', payment_id: p.id, invoice_id: 'inv_2', amount: 500, applied_at: new Date() }]);
    })).rejects.toThrow(/exceed the amount/);
    await expect(tryTx(async (trx) => {
      await trx('payments').where({ id: p.id }).update({ amount_refunded: 300 });
    })).rejects.toThrow(/refunds add up to 0/);
    await expect(tryTx(async (trx) => {
      await trx('payment_applications').insert({ id: 'papp_3', organization_id: 'org_a', payment_id: p.id, invoice_id: 'inv_1', amount: 800, applied_at: new Date() });
      await trx('payment_refunds').insert({ id: 'rfd_1', organization_id: 'org_a', payment_id: p.id, amount: 300, credit_amount: 200, date: '2026-01-02', journal_entry_id: 'je_y' });
      await trx('payments').where({ id: p.id }).update({ amount_refunded: 300 });
    })).rejects.toThrow(/800 applied and 300 refunded exceed the amount 1000/);
    // The same refund, taken from the applications, keeps the books whole and commits.
    await tryTx(async (trx) => {
      await trx('payment_applications').insert({ id: 'papp_4', organization_id: 'org_a', payment_id: p.id, invoice_id: 'inv_1', amount: 800, amount_refunded: 100, applied_at: new Date() });
      await trx('payment_refunds').insert({ id: 'rfd_2', organization_id: 'org_a', payment_id: p.id, amount: 300, credit_amount: 200, date: '2026-01-02', journal_entry_id: 'je_y' });
      await trx('payments').where({ id: p.id }).update({ amount_refunded: 300 });
    });
    expect(await knex('payments').where({ id: p.id }).first()).toMatchObject({ amountRefunded: 300 });
    await expect(knex('payments').where({ id: p.id }).update({ status: 'REFUNDED' })).rejects.toThrow(/payments_refunded_status_check/);
  });
});
