import type { Knex } from 'knex';

/**
 * OAuth2 for connectors. An integration keeps its provider tokens sealed by the hub's secret box
 * (`oauth_sealed`: access token, refresh token, token type), beside what may be shown: the status, the
 * expiry, the granted scopes and a masked hint of the access token. An authorization in progress is a
 * row of `oauth_states`, keyed by the nonce of its signed `state` and deleted by the callback that uses
 * it (so a state works once), with the PKCE verifier sealed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('integrations', (t) => {
    t.text('oauth_status');
    t.text('oauth_sealed');
    t.text('oauth_hint');
    t.timestamp('oauth_expires_at', { useTz: true });
    t.jsonb('oauth_scopes');
    t.timestamp('oauth_authorized_at', { useTz: true });
    t.timestamp('oauth_refreshed_at', { useTz: true });
  });
  await knex.raw("ALTER TABLE integrations ADD CONSTRAINT integrations_oauth_status_check CHECK (oauth_status IN ('AUTHORIZED', 'REAUTHORIZATION_REQUIRED'))");

  await knex.schema.createTable('oauth_states', (t) => {
    t.text('nonce').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('connector_id').notNullable();
    t.text('connector_version').notNullable();
    t.text('redirect_uri').notNullable();
    t.text('verifier_sealed');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('oauth_states');
  await knex.raw('ALTER TABLE integrations DROP CONSTRAINT IF EXISTS integrations_oauth_status_check');
  await knex.schema.alterTable('integrations', (t) => {
    for (const column of ['oauth_status', 'oauth_sealed', 'oauth_hint', 'oauth_expires_at', 'oauth_scopes', 'oauth_authorized_at', 'oauth_refreshed_at']) t.dropColumn(column);
  });
}
