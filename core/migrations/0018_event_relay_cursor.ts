import type { Knex } from 'knex';

/**
 * The relay's mark of what it has published becomes one cursor: the highest `seq` whose event, and every
 * event before it, the bus has confirmed. The relay publishes in `seq` order and only up to the settled
 * watermark, and marks only a confirmed prefix of each batch, so the published events always were a prefix
 * of the log; the per-row `published_at` said the same thing at the cost of an UPDATE of every event (a new
 * row version and an entry in each of the table's indexes: the update could never be HOT, since the
 * partial index of unpublished events depends on the column). The cursor starts where the marks ended.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE event_relay_cursor (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq bigint NOT NULL CHECK (seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`);
  await knex.raw(`INSERT INTO event_relay_cursor (seq)
    SELECT COALESCE((SELECT min(seq) - 1 FROM events WHERE published_at IS NULL), (SELECT max(seq) FROM events), 0)`);
  await knex.raw('DROP INDEX events_unpublished');
  await knex.raw('ALTER TABLE events DROP COLUMN published_at');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE events ADD COLUMN published_at timestamptz');
  await knex.raw('UPDATE events SET published_at = now() WHERE seq <= (SELECT seq FROM event_relay_cursor)');
  await knex.raw('CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL');
  await knex.raw('DROP TABLE event_relay_cursor');
}
