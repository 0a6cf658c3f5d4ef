import type { Knex } from 'knex';

/**
 * Customers had two indexes on (organization_id, id): the plain one of 0001 and the unique one that the
 * foreign keys of documents need (0003). The unique one serves every lookup the plain one did, so the plain
 * one only cost every customer written an index entry more.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS customers_organization_id_id_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX IF NOT EXISTS customers_organization_id_id_index ON customers (organization_id, id)');
}
