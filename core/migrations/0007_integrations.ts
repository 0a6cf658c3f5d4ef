import type { Knex } from 'knex';

/**
 * Integrations: an organization's enabled connectors (credentials sealed by the hub's secret box, never
 * stored plain), the links between our records and a provider's, a connector's small persistent state,
 * its sync jobs, and the provider webhooks already processed (so a redelivery changes nothing).
 * Connector ids are plain text: the core knows no provider.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('integrations', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('connector_version').notNullable();
    t.boolean('is_active').notNullable().defaultTo(true);
    t.text('credentials_sealed').notNullable();
    t.text('credentials_hint').notNullable();
    t.jsonb('config').notNullable().defaultTo('{}');
    t.jsonb('sync_config').notNullable().defaultTo('{}');
    t.integer('error_count').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('last_error_at', { useTz: true });
    t.timestamp('last_sync_at', { useTz: true });
    t.text('last_sync_status');
    t.timestamp('disabled_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['organization_id', 'connector_id']);
  });
  await knex.raw("ALTER TABLE integrations ADD CONSTRAINT integrations_last_sync_status_check CHECK (last_sync_status IN ('SUCCESS', 'FAILED', 'PARTIAL'))");

  await knex.schema.createTable('connector_mappings', (t) => {
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('entity_type').notNullable();
    t.text('internal_id').notNullable();
    t.text('external_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['organization_id', 'connector_id', 'entity_type', 'internal_id']);
    t.unique(['organization_id', 'connector_id', 'entity_type', 'external_id']);
  });

  await knex.schema.createTable('connector_state', (t) => {
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('key').notNullable();
    t.jsonb('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['organization_id', 'connector_id', 'key']);
  });

  await knex.schema.createTable('sync_jobs', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('data_type').notNullable();
    t.text('direction').notNullable();
    t.text('trigger').notNullable();
    t.boolean('full').notNullable().defaultTo(false);
    t.text('status').notNullable().defaultTo('QUEUED');
    t.integer('created_count').notNullable().defaultTo(0);
    t.integer('updated_count').notNullable().defaultTo(0);
    t.integer('skipped_count').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    t.jsonb('log').notNullable().defaultTo('[]');
    t.text('error');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'connector_id', 'created_at']);
  });
  await knex.raw("ALTER TABLE sync_jobs ADD CONSTRAINT sync_jobs_status_check CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCESS', 'FAILED', 'PARTIAL'))");
  // One run at a time per integration and data type, whatever the number of hub processes.
  await knex.raw("CREATE UNIQUE INDEX sync_jobs_one_running ON sync_jobs (organization_id, connector_id, data_type, direction) WHERE status = 'RUNNING'");

  await knex.schema.createTable('connector_webhook_receipts', (t) => {
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('provider_event_id').notNullable();
    t.text('status').notNullable().defaultTo('PROCESSING');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.primary(['organization_id', 'connector_id', 'provider_event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['connector_webhook_receipts', 'sync_jobs', 'connector_state', 'connector_mappings', 'integrations']) await knex.schema.dropTableIfExists(table);
}
