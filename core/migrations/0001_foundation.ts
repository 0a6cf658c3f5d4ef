import type { Knex } from 'knex';

/** Tenants, API keys, customers, the event log (transactional outbox) and the HTTP platform's tables. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('hub_settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('organizations', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.specificType('base_currency', 'char(3)').notNullable();
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('name').notNullable();
    t.specificType('scopes', 'text[]').notNullable();
    t.text('prefix').notNullable();
    t.text('secret_hash').notNullable().unique();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['organization_id', 'id']);
  });

  await knex.schema.createTable('customers', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('first_name');
    t.text('last_name');
    t.text('business_name');
    t.text('email');
    t.text('phone');
    t.text('tier').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.jsonb('billing_address');
    t.text('status').notNullable().defaultTo('ACTIVE');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamps(true, true);
    t.index(['organization_id', 'id']);
    t.index(['organization_id', 'email']);
  });
  await knex.raw(`ALTER TABLE customers ADD CONSTRAINT customers_status_check CHECK (status IN ('ACTIVE', 'INACTIVE'))`);

  await knex.schema.createTable('events', (t) => {
    t.text('id').primary();
    t.bigIncrements('seq', { primaryKey: false });
    t.text('organization_id').notNullable();
    t.text('type').notNullable();
    t.text('aggregate_type').notNullable();
    t.text('aggregate_id').notNullable();
    t.integer('version').notNullable();
    t.jsonb('data').notNullable();
    t.jsonb('metadata').notNullable();
    t.timestamp('timestamp', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('published_at', { useTz: true });
    t.unique(['aggregate_id', 'version']);
    t.unique(['seq']);
    t.index(['organization_id', 'seq']);
  });
  // The writing transaction's id: readers and the relay only take events of transactions older than every
  // transaction still running, so an event that commits late can never be skipped by a reader's cursor.
  await knex.raw(`ALTER TABLE events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
  await knex.raw(`CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL`);
  // Every event's transaction has its id before it takes its number: readers rely on it to know when all
  // events up to a number have settled (see core/src/events/watermark.ts).
  await knex.raw(`CREATE FUNCTION uah_next_event_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_current_xact_id();
      RETURN nextval('events_seq_seq');
    END $$`);
  await knex.raw(`ALTER TABLE events ALTER COLUMN seq SET DEFAULT uah_next_event_seq()`);

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('scope').notNullable();
    t.text('key').notNullable();
    t.text('method').notNullable();
    t.text('path').notNullable();
    t.text('request_hash').notNullable();
    t.integer('response_status');
    t.jsonb('response_headers');
    t.text('response_body');
    t.timestamp('locked_until', { useTz: true });
    t.timestamps(true, true);
    t.primary(['scope', 'key']);
  });

  await knex.schema.createTable('rate_limit_windows', (t) => {
    t.text('bucket').notNullable();
    t.bigInteger('window_start').notNullable();
    t.integer('count').notNullable();
    t.primary(['bucket', 'window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['rate_limit_windows', 'idempotency_keys', 'events', 'customers', 'api_keys', 'organizations', 'hub_settings']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('DROP FUNCTION IF EXISTS uah_next_event_seq()');
}
