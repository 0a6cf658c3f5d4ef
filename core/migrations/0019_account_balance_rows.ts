import type { Knex } from 'knex';

/**
 * Every account gets its balance row when it is created (zero, version 0), instead of at its first posting.
 * Postings lock the balance rows of their accounts in account-id order, a group of postings locks them all
 * before its first statement, so concurrent writers always take them in the same order and cannot deadlock.
 * A row that did not exist yet could not be locked up front: the first posting to an account created it
 * in the middle of its transaction, in no particular order, and a concurrent transaction that held another
 * of its accounts could deadlock with it. Existing accounts without a row get one here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION ledger_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO account_balances (account_id, organization_id) VALUES (NEW.id, NEW.organization_id) ON CONFLICT (account_id) DO NOTHING;
      RETURN NULL;
    END $$`);
  await knex.raw('CREATE TRIGGER accounts_open_balance AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION ledger_open_balance()');
  await knex.raw(`INSERT INTO account_balances (account_id, organization_id)
    SELECT a.id, a.organization_id FROM accounts a ON CONFLICT (account_id) DO NOTHING`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER accounts_open_balance ON accounts');
  await knex.raw('DROP FUNCTION ledger_open_balance()');
  // Rows never posted to go again, as before: a row existed only once an account had postings.
  await knex.raw('DELETE FROM account_balances WHERE version = 0');
}
