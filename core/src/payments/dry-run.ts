import type { Knex } from 'knex';
import type { Event, JournalEntry, Payment, PaymentDryRun } from '@uah/schemas';

class DryRunRollback extends Error {
  constructor(readonly result: PaymentDryRun) {
    super('dry run');
  }
}

/**
 * Runs a write exactly as it would run for real, in a transaction that is then rolled back: the same
 * validation, the same locks, the same database constraints (deferred ones are forced to run), and the
 * events the transaction appended are returned instead of committed. Ids in the result were never used.
 */
export async function dryRunInTransaction(knex: Knex, write: (trx: Knex.Transaction) => Promise<Payment>): Promise<PaymentDryRun> {
  try {
    await knex.transaction(async (trx) => {
      const payment = await write(trx);
      await trx.raw('SET CONSTRAINTS ALL IMMEDIATE');
      const rows = (await trx.raw<{ rows: Array<{ type: Event['type']; aggregateType: string; aggregateId: string; organizationId: string; data: Event['data']; metadata: Event['metadata']; timestamp: Date }> }>(
        // Quoted camelCase aliases: raw rows are not renamed by the snake-case mappers on every driver.
        `SELECT type, aggregate_type AS "aggregateType", aggregate_id AS "aggregateId", organization_id AS "organizationId", data, metadata, timestamp
           FROM events WHERE tx_id = pg_current_xact_id() ORDER BY seq`,
      )).rows;
      const events = rows.map((r) => ({ object: 'event' as const, type: r.type, aggregateType: r.aggregateType, aggregateId: r.aggregateId, organizationId: r.organizationId, data: r.data, metadata: r.metadata, timestamp: new Date(r.timestamp).toISOString() }));
      const journalEntries = events.filter((e) => e.type === 'journal_entry.created').map((e) => e.data.object as JournalEntry);
      throw new DryRunRollback({ object: 'payment_dry_run', payment, journalEntries, events });
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result;
    throw error;
  }
  throw new Error('dry run transaction committed');
}
