import type { Knex } from 'knex';

/**
 * A bank credit may be reconciled with a processor payout (one deposit for many payments less fees)
 * instead of a single payment: `payout_id`, one bank line per payout, and a matched line links exactly
 * one of payment, bill payment or payout.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bank_transactions', (t) => {
    t.text('payout_id');
    t.foreign(['organization_id', 'payout_id']).references(['organization_id', 'id']).inTable('payouts');
  });
  await knex.raw(`ALTER TABLE bank_transactions
    DROP CONSTRAINT bank_transactions_match_check,
    ADD CONSTRAINT bank_transactions_match_check CHECK (num_nonnulls(payment_id, bill_payment_id, payout_id) <= 1
      AND (status = 'MATCHED') = (num_nonnulls(payment_id, bill_payment_id, payout_id) = 1 AND matched_at IS NOT NULL AND match_method IN ('AUTO', 'MANUAL'))),
    ADD CONSTRAINT bank_transactions_payout_credit_check CHECK (payout_id IS NULL OR direction = 'CREDIT')`);
  await knex.raw('CREATE UNIQUE INDEX bank_transactions_payout_unique ON bank_transactions (organization_id, payout_id) WHERE payout_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`UPDATE bank_transactions SET status = 'UNMATCHED', payout_id = NULL, match_method = NULL, match_confidence = NULL, matched_at = NULL, transfer_entry_id = NULL
    WHERE payout_id IS NOT NULL`);
  await knex.raw(`ALTER TABLE bank_transactions
    DROP CONSTRAINT bank_transactions_payout_credit_check,
    DROP CONSTRAINT bank_transactions_match_check,
    ADD CONSTRAINT bank_transactions_match_check CHECK (num_nonnulls(payment_id, bill_payment_id) <= 1
      AND (status = 'MATCHED') = (num_nonnulls(payment_id, bill_payment_id) = 1 AND matched_at IS NOT NULL AND match_method IN ('AUTO', 'MANUAL')))`);
  await knex.raw('DROP INDEX IF EXISTS bank_transactions_payout_unique');
  await knex.schema.alterTable('bank_transactions', (t) => {
    t.dropForeign(['organization_id', 'payout_id']);
    t.dropColumn('payout_id');
  });
}
