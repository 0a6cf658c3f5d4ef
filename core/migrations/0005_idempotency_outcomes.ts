import type { Knex } from 'knex';

/**
 * An idempotency record is now written only with its answer, in the transaction of the change it answers
 * (the key is held meanwhile by an advisory lock), so a record without an answer and its lease are gone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('idempotency_keys').whereNull('response_status').delete();
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('locked_until');
    t.integer('response_status').notNullable().alter();
  });
  await knex.schema.alterTable('idempotency_keys', (t) => t.index(['created_at'], 'idempotency_keys_created_at_idx'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropIndex(['created_at'], 'idempotency_keys_created_at_idx');
    t.integer('response_status').nullable().alter();
    t.timestamp('locked_until', { useTz: true });
  });
}
