import type { Knex } from 'knex';

/**
 * Attempts in flight per endpoint are counted from the other workers' leases only (a worker counts its own
 * itself), and now read from an index that starts with the lease's owner, so the count never steps over this
 * worker's own leases.
 *
 * Why: a delivery leaves the lease index when its outcome is written, but its old index entry stays until
 * VACUUM removes it, and a bitmap scan (the plan the count gets) neither skips nor marks such entries. Counting
 * from `webhook_deliveries_leased` (lease_until first) visited the heap for every delivery leased in the last
 * lease period (the timeout plus 30 s): at 1,000 deliveries a second, 7,000-20,000 dead rows and 4-6 ms for
 * each insert of new deliveries and each claim. Keyed by owner, the count reads only the other workers'
 * entries, none at all when one worker runs. `webhook_deliveries_leased` stays for the expired leases of dead
 * workers, which are read in lease order.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX webhook_deliveries_leased_by_owner ON webhook_deliveries (lease_owner, lease_until, endpoint_id)
    WHERE status = 'PENDING' AND lease_until IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_leased_by_owner');
}
