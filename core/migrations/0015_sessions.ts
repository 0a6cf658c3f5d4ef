import type { Knex } from 'knex';

/**
 * Browser sessions of the dashboard. A session is made from an API key and acts with its scopes; only
 * the SHA-256 of its secret is stored (the secret lives in the browser's HttpOnly cookie). Revoking the
 * key ends its sessions, since authentication joins the key and checks it is not revoked.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('api_key_id').notNullable().references('api_keys.id');
    t.text('secret_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.index(['expires_at']);
    t.index(['organization_id', 'api_key_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sessions');
}
