import type { Knex } from 'knex';

/**
 * Webhook endpoints, their deliveries (one per event and endpoint, with a stable id) and every attempt.
 * A delivery's schedule lives here, not in the broker: `next_attempt_at` is polled with
 * `FOR UPDATE SKIP LOCKED`, and `lease_until` marks an attempt in flight, so a process that dies while
 * sending leaves the delivery to be picked up again once the lease ends. Nothing pending is lost by a restart.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('url').notNullable();
    t.text('description');
    t.jsonb('events').notNullable();
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.integer('timeout_ms').notNullable().defaultTo(10000);
    t.jsonb('retry_policy').notNullable();
    t.text('status').notNullable().defaultTo('ACTIVE');
    t.text('disabled_reason');
    t.timestamp('disabled_at', { useTz: true });
    t.text('secret_sealed').notNullable();
    t.text('previous_secret_sealed');
    t.timestamp('previous_secret_expires_at', { useTz: true });
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('failing_since', { useTz: true });
    t.timestamp('warned_at', { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.index(['organization_id', 'status']);
  });
  await knex.raw(`ALTER TABLE webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_status_check CHECK (status IN ('ACTIVE', 'DISABLED')),
    ADD CONSTRAINT webhook_endpoints_disabled_check CHECK ((status = 'DISABLED') = (disabled_at IS NOT NULL)),
    ADD CONSTRAINT webhook_endpoints_failures_check CHECK (consecutive_failures >= 0)`);

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable();
    t.text('endpoint_id').notNullable();
    t.text('event_id').notNullable();
    t.text('event_type').notNullable();
    // The exact bytes signed and sent (jsonb would reorder the keys).
    t.text('body').notNullable();
    t.text('status').notNullable().defaultTo('PENDING');
    t.integer('attempt_count').notNullable().defaultTo(0);
    /** Attempts left in the current round (a redelivery starts a new round with the policy's retries). */
    t.integer('round_attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('lease_until', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('event_timestamp', { useTz: true }).notNullable();
    t.timestamps(true, true);
    t.unique(['endpoint_id', 'event_id']);
    t.index(['endpoint_id', 'id']);
    t.foreign(['organization_id', 'endpoint_id']).references(['organization_id', 'id']).inTable('webhook_endpoints').onDelete('CASCADE');
  });
  await knex.raw(`ALTER TABLE webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    ADD CONSTRAINT webhook_deliveries_schedule_check CHECK ((status = 'PENDING') = (next_attempt_at IS NOT NULL))`);
  // The poller's one index: only what is waiting is in it.
  await knex.raw(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`);

  await knex.schema.createTable('webhook_attempts', (t) => {
    t.bigIncrements('id').primary();
    t.text('delivery_id').notNullable().references('webhook_deliveries.id').onDelete('CASCADE');
    t.integer('number').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('status_code');
    t.integer('duration_ms').notNullable();
    t.text('response_body');
    t.text('error');
    t.unique(['delivery_id', 'number']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_attempts');
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhook_endpoints');
}
