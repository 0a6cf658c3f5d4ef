import type { Knex } from 'knex';

/**
 * Webhook delivery at speed, and the small gaps around it.
 *
 * - The schedule is split by lease: a delivery waiting for an attempt (`lease_until IS NULL`) is in the due
 *   indexes, one in flight (leased) is in the lease index. The claim reads due rows in time order without
 *   stepping over the ones in flight, and counts the attempts in flight per endpoint from the small lease
 *   index instead of every pending row. The worker leases a new event's deliveries as it inserts them, so
 *   the first attempt needs no claim at all; the per-endpoint due index tells it whether older deliveries of
 *   that endpoint are waiting (then the new one queues behind them). `lease_owner` names the worker that
 *   holds a lease: a worker counts its own attempts in flight itself (an attempt whose answer came in is no
 *   longer in flight, though its row stays leased until its outcome is written) and only the others' from here.
 * - Settled deliveries (DELIVERED, FAILED) are pruned after the retention period, oldest first.
 * - `test`: the pings sent by `POST /webhooks/{id}/test` are kept as deliveries too, marked as such.
 * - `previous_secrets`: every secret rotated out within its grace period keeps signing, not only the last
 *   one, so two rotations in a day do not cut short the first one's overlap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_due');
  await knex.raw(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING' AND lease_until IS NULL`);
  await knex.raw(`CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'PENDING' AND lease_until IS NULL`);
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.text('lease_owner');
  });
  await knex.raw(`CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until, endpoint_id) INCLUDE (lease_owner) WHERE status = 'PENDING' AND lease_until IS NOT NULL`);
  await knex.raw(`CREATE INDEX webhook_deliveries_settled ON webhook_deliveries (updated_at) WHERE status <> 'PENDING'`);

  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.boolean('test').notNullable().defaultTo(false);
  });

  await knex.schema.alterTable('webhook_endpoints', (t) => {
    // [{ sealed, expiresAt }], newest first.
    t.jsonb('previous_secrets').notNullable().defaultTo('[]');
  });
  await knex.raw(`UPDATE webhook_endpoints SET previous_secrets = jsonb_build_array(jsonb_build_object('sealed', previous_secret_sealed, 'expiresAt', previous_secret_expires_at))
    WHERE previous_secret_sealed IS NOT NULL AND previous_secret_expires_at > now()`);
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.dropColumn('previous_secret_sealed');
    t.dropColumn('previous_secret_expires_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.text('previous_secret_sealed');
    t.timestamp('previous_secret_expires_at', { useTz: true });
  });
  await knex.raw(`UPDATE webhook_endpoints SET previous_secret_sealed = previous_secrets->0->>'sealed', previous_secret_expires_at = (previous_secrets->0->>'expiresAt')::timestamptz
    WHERE jsonb_array_length(previous_secrets) > 0`);
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.dropColumn('previous_secrets');
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropColumn('test');
    t.dropColumn('lease_owner');
  });
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_settled');
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_leased');
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_endpoint_due');
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_due');
  await knex.raw(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`);
}
