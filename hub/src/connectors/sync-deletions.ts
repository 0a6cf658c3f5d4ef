import type { Knex } from 'knex';
import { AppError, type CoreServices } from '@uah/core';
import type { EventMetadata, IntegrationSyncConfig } from '@uah/schemas';

/** The services a full pass changes records through (never SQL on their tables). */
export type DeletionServices = Pick<CoreServices, 'customers' | 'products' | 'invoices'>;

export interface FullPass {
  jobId: string;
  organizationId: string;
  connectorId: string;
  /** The data type; its links are those whose entity type has the same name. */
  dataType: string;
  /** When the pass first started: links made since then were made during it (by a webhook, an event) and are not judged. */
  startedAt: Date;
}

type Log = (level: 'info' | 'warn', message: string) => void;
type Rules = NonNullable<IntegrationSyncConfig['deletions']>;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);

/** What the configured rule does to one local record whose provider record is gone; says what it did. */
async function apply(services: DeletionServices, pass: FullPass, rules: Rules, internalId: string): Promise<string> {
  if ((rules.action ?? 'ARCHIVE') === 'FLAG') return 'flagged';
  const meta: EventMetadata = { source: 'IMPORT', userId: `connector:${pass.connectorId}`, causationId: pass.jobId };
  const org = pass.organizationId;
  try {
    switch (pass.dataType) {
      case 'customer': {
        if ((await services.customers.get(org, internalId)).status !== 'ACTIVE') return 'already inactive';
        await services.customers.deactivate(org, internalId, meta);
        return 'customer deactivated';
      }
      case 'product': {
        if (!(await services.products.get(org, internalId)).active) return 'already inactive';
        await services.products.deactivate(org, internalId, meta);
        return 'product deactivated';
      }
      case 'invoice': {
        const invoice = await services.invoices.get(org, internalId);
        if (invoice.status === 'CANCELLED') return 'already void';
        if (invoice.status !== 'DRAFT' && !rules.voidIssuedInvoices) return 'flagged (an issued invoice is voided only when the sync config sets deletions.voidIssuedInvoices)';
        await services.invoices.void(org, internalId, { reason: 'deleted at the provider' }, meta);
        return invoice.status === 'DRAFT' ? 'draft invoice voided' : 'issued invoice voided, its postings reversed';
      }
      default:
        // Payments, credit notes, journal entries and anything else are posted or external: only flagged.
        return 'flagged';
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return 'already gone here';
    return `flagged (${describe(error)})`;
  }
}

/**
 * After a full pull pass that ended without failures: every link of the data type that existed before
 * the pass and that the pass did not see (the connector neither looked it up nor linked it) is a record
 * the provider no longer has. Its link is marked deleted and the configured rule is applied to our
 * record. A pass that saw none of the links marks nothing: an empty answer from the provider is far
 * more often an outage or a revoked permission than the deletion of everything. Returns how many
 * records were found deleted.
 */
export async function detectDeletions(knex: Knex, services: DeletionServices, pass: FullPass, rules: Rules, log: Log, stillOurs: () => boolean): Promise<number> {
  const links = knex('connector_mappings').where({ organization_id: pass.organizationId, connector_id: pass.connectorId, entity_type: pass.dataType }).whereNull('remote_deleted_at');
  const seen = await links.clone().where('seen_by_job', pass.jobId).count<Array<{ count: string | number }>>({ count: '*' }).first();
  const unseen = await links
    .clone()
    .where('created_at', '<', pass.startedAt)
    .where((q) => void q.whereNull('seen_by_job').orWhereNot('seen_by_job', pass.jobId))
    .orderBy('created_at')
    .select<Array<{ internalId: string; externalId: string }>>('internal_id', 'external_id');
  if (unseen.length === 0) return 0;
  if (Number(seen?.count ?? 0) === 0) {
    log('warn', `the full pass saw none of the ${unseen.length} linked ${pass.dataType} records: none is marked deleted (an empty answer looks like a provider problem)`);
    return 0;
  }
  let deleted = 0;
  for (const link of unseen) {
    // A process that lost the job's lease stops here; the one that took it over judges the rest.
    if (!stillOurs()) break;
    const marked = await knex('connector_mappings')
      .where({ organization_id: pass.organizationId, connector_id: pass.connectorId, entity_type: pass.dataType, internal_id: link.internalId })
      .whereNull('remote_deleted_at')
      .update({ remote_deleted_at: knex.fn.now() });
    if (marked === 0) continue;
    deleted += 1;
    log('info', `${pass.dataType} ${link.externalId} (${link.internalId}) is deleted at the provider: ${await apply(services, pass, rules, link.internalId)}`);
  }
  return deleted;
}
