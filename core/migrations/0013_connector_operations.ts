import type { Knex } from 'knex';

/**
 * What the connector platform needs to run across processes and over time:
 * - a lease on each running sync job (its holder renews it while it works; a job whose holder died is
 *   taken over once the lease has expired, and resumes where its checkpoint left it), how many times the
 *   job was started, and the records a full pass found deleted at the provider;
 * - on each external-id link, the last full pass that saw the provider's record, and when a full pass
 *   found it gone;
 * - the events a connector kept failing on, parked for the organization to see and send back.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_jobs', (t) => {
    t.text('lease_owner');
    t.timestamp('lease_expires_at', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('deleted_count').notNullable().defaultTo(0);
  });
  // Finding what is due or abandoned reads only the unfinished jobs.
  await knex.raw("CREATE INDEX sync_jobs_unfinished ON sync_jobs (created_at) WHERE status IN ('QUEUED', 'RUNNING')");

  await knex.schema.alterTable('connector_mappings', (t) => {
    t.text('seen_by_job');
    t.timestamp('remote_deleted_at', { useTz: true });
  });

  await knex.schema.createTable('connector_parked_events', (t) => {
    t.text('connector_id').notNullable();
    t.text('event_id').notNullable();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('event_type').notNullable();
    t.jsonb('event').notNullable();
    t.text('status').notNullable().defaultTo('PARKED');
    t.integer('attempts').notNullable();
    t.text('error').notNullable();
    t.integer('times_parked').notNullable().defaultTo(1);
    t.timestamp('parked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retried_at', { useTz: true });
    t.primary(['connector_id', 'event_id']);
    t.index(['organization_id', 'connector_id', 'status', 'parked_at']);
  });
  await knex.raw("ALTER TABLE connector_parked_events ADD CONSTRAINT connector_parked_events_status_check CHECK (status IN ('PARKED', 'RETRIED'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('connector_parked_events');
  await knex.schema.alterTable('connector_mappings', (t) => {
    t.dropColumn('seen_by_job');
    t.dropColumn('remote_deleted_at');
  });
  await knex.raw('DROP INDEX IF EXISTS sync_jobs_unfinished');
  await knex.schema.alterTable('sync_jobs', (t) => {
    for (const column of ['lease_owner', 'lease_expires_at', 'attempts', 'deleted_count']) t.dropColumn(column);
  });
}
