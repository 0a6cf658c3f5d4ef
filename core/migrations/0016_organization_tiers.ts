import type { Knex } from 'knex';

/**
 * Usage tiers. An organization is FREE, STANDARD or ENTERPRISE; its tier sets how many requests it may make
 * per rate-limit window across all its keys, unless an admin set `rate_limit` for it. A key may have a lower
 * limit of its own. Existing organizations are STANDARD, the limit they had.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.text('tier').notNullable().defaultTo('STANDARD');
    t.integer('rate_limit');
  });
  await knex.raw(`ALTER TABLE organizations ADD CONSTRAINT organizations_tier_check CHECK (tier IN ('FREE', 'STANDARD', 'ENTERPRISE'))`);
  await knex.raw('ALTER TABLE organizations ADD CONSTRAINT organizations_rate_limit_check CHECK (rate_limit IS NULL OR rate_limit > 0)');
  await knex.schema.alterTable('api_keys', (t) => {
    t.integer('rate_limit');
  });
  await knex.raw('ALTER TABLE api_keys ADD CONSTRAINT api_keys_rate_limit_check CHECK (rate_limit IS NULL OR rate_limit > 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => t.dropColumn('rate_limit'));
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('rate_limit');
    t.dropColumn('tier');
  });
}
