import type { Knex } from 'knex';

/**
 * Bank debits reconciled with bill payments: a bank transaction names either the payment (money in) or the
 * bill payment (money out) it is reconciled with, never both, and each bill payment at most one bank
 * transaction, as payments already are.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE UNIQUE INDEX IF NOT EXISTS bill_payments_organization_id_id_unique ON bill_payments (organization_id, id)');
  await knex.schema.alterTable('bank_transactions', (t) => {
    t.text('bill_payment_id');
    t.foreign(['organization_id', 'bill_payment_id']).references(['organization_id', 'id']).inTable('bill_payments');
  });
  await knex.raw(`ALTER TABLE bank_transactions
    DROP CONSTRAINT bank_transactions_match_check,
    ADD CONSTRAINT bank_transactions_match_check CHECK (num_nonnulls(payment_id, bill_payment_id) <= 1
      AND (status = 'MATCHED') = (num_nonnulls(payment_id, bill_payment_id) = 1 AND matched_at IS NOT NULL AND match_method IN ('AUTO', 'MANUAL'))),
    ADD CONSTRAINT bank_transactions_bill_payment_debit_check CHECK (bill_payment_id IS NULL OR direction = 'DEBIT')`);
  await knex.raw('CREATE UNIQUE INDEX bank_transactions_bill_payment_unique ON bank_transactions (organization_id, bill_payment_id) WHERE bill_payment_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  // The lines lose their link (the bill payments and their postings stay): unmatched, as before this migration.
  await knex.raw(`UPDATE bank_transactions SET status = 'UNMATCHED', bill_payment_id = NULL, match_method = NULL, match_confidence = NULL, matched_at = NULL, transfer_entry_id = NULL
    WHERE bill_payment_id IS NOT NULL`);
  await knex.raw(`ALTER TABLE bank_transactions
    DROP CONSTRAINT bank_transactions_bill_payment_debit_check,
    DROP CONSTRAINT bank_transactions_match_check,
    ADD CONSTRAINT bank_transactions_match_check CHECK ((status = 'MATCHED') = (payment_id IS NOT NULL AND matched_at IS NOT NULL AND match_method IN ('AUTO', 'MANUAL')))`);
  await knex.raw('DROP INDEX IF EXISTS bank_transactions_bill_payment_unique');
  await knex.schema.alterTable('bank_transactions', (t) => {
    t.dropForeign(['organization_id', 'bill_payment_id']);
    t.dropColumn('bill_payment_id');
  });
  await knex.raw('DROP INDEX IF EXISTS bill_payments_organization_id_id_unique');
}
