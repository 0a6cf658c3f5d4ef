import type { Knex } from 'knex';

const STATUSES = "'PENDING', 'IN_TRANSIT', 'PAID', 'FAILED', 'CANCELED'";
const KINDS = "'PAYMENT', 'REFUND', 'DISPUTE', 'FEE', 'ADJUSTMENT'";

/**
 * Payouts: money a payment processor sent from its balance to the bank, recorded by a payment connector
 * once per (organization, connector, provider reference), with the payments, refunds and fees it settles.
 * A PAID payout is posted (its journal entry); the others are not. Bank reconciliation matches a deposit
 * by amount, currency and arrival date, so those are indexed together.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payouts', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('provider_reference').notNullable();
    t.text('status').notNullable();
    t.bigInteger('amount').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('exchange_rate');
    t.bigInteger('fees').notNullable().defaultTo(0);
    t.date('arrival_date').notNullable();
    t.timestamp('paid_at', { useTz: true });
    t.text('failure_reason');
    t.text('description');
    t.text('journal_entry_id').references('journal_entries.id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['organization_id', 'connector_id', 'provider_reference']);
    t.index(['organization_id', 'currency', 'amount', 'arrival_date']);
  });
  await knex.raw(`ALTER TABLE payouts
    ADD CONSTRAINT payouts_status_check CHECK (status IN (${STATUSES})),
    ADD CONSTRAINT payouts_amount_check CHECK (amount > 0 AND fees >= 0),
    ADD CONSTRAINT payouts_posted_check CHECK ((status = 'PAID') = (journal_entry_id IS NOT NULL)),
    ADD CONSTRAINT payouts_paid_at_check CHECK ((status = 'PAID') = (paid_at IS NOT NULL))`);

  await knex.schema.createTable('payout_items', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('payout_id').notNullable();
    t.foreign(['organization_id', 'payout_id']).references(['organization_id', 'id']).inTable('payouts');
    t.integer('position').notNullable();
    t.text('kind').notNullable();
    t.text('payment_id');
    t.foreign(['organization_id', 'payment_id']).references(['organization_id', 'id']).inTable('payments');
    t.text('refund_id').references('payment_refunds.id');
    t.bigInteger('amount').notNullable();
    t.text('provider_reference');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['payout_id', 'position']);
    t.index(['organization_id', 'payment_id']);
  });
  await knex.raw(`ALTER TABLE payout_items
    ADD CONSTRAINT payout_items_kind_check CHECK (kind IN (${KINDS})),
    ADD CONSTRAINT payout_items_payment_check CHECK (kind IN ('FEE', 'ADJUSTMENT') OR payment_id IS NOT NULL)`);
  await knex.raw('CREATE UNIQUE INDEX payout_items_reference_unique ON payout_items (payout_id, provider_reference) WHERE provider_reference IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payout_items');
  await knex.schema.dropTableIfExists('payouts');
}
