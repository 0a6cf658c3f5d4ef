import { resolveConflict, type ConnectorContext, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { api, type Config, type Credentials, type RemoteCustomer, type RemotePage } from './api.js';

const CHECKPOINT = 'customers.checkpoint';

/** Our customer from the CRM's (the CRM's `name` is a business name). */
const fromRemote = (remote: RemoteCustomer): { businessName: string; email?: string; metadata: Record<string, string> } => ({
  businessName: remote.name,
  ...(remote.email ? { email: remote.email } : {}),
  metadata: { sampleCrmId: remote.id },
});

async function upsert(ctx: ConnectorContext<Credentials, Config>, job: SyncJob, remote: RemoteCustomer, result: SyncResult): Promise<void> {
  const internalId = await ctx.mappings.internalIdOf('customer', remote.id);
  if (!internalId) {
    const created = await ctx.entities.customers.create(fromRemote(remote));
    await ctx.mappings.link('customer', created.id, remote.id);
    result.created += 1;
    return;
  }
  const ours = await ctx.entities.customers.get(internalId);
  if (!ours) return void (result.failed += 1);
  const wanted = fromRemote(remote);
  if (ours.businessName === wanted.businessName && (ours.email ?? undefined) === wanted.email) return void (result.skipped += 1);
  // Both sides hold a different version: the integration's rule decides, and the decision is reported.
  const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: ours.updatedAt }, { updatedAt: remote.updated_at });
  (result.conflicts ??= []).push({ externalId: remote.id, internalId, winner });
  if (winner === 'ours') return void (result.skipped += 1);
  await ctx.entities.customers.update(internalId, wanted);
  result.updated += 1;
}

/**
 * Pulls the CRM's customers changed since `job.since` (all of them on a full run), page by page. The
 * cursor of the page being read is kept as a checkpoint, so a run that stops half-way resumes there;
 * records are matched through the mappings, so running the same sync twice changes nothing. Every
 * record is looked up by its CRM id (`internalIdOf`), which is how a full pass tells the hub it saw it:
 * the linked customers it did not see are the ones deleted at the CRM.
 */
export async function pullCustomers(ctx: ConnectorContext<Credentials, Config>, job: SyncJob): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0 };
  const client = api(ctx);
  // A fresh full pass starts at the beginning; a resumed one (its process stopped) carries on from its checkpoint.
  const saved = job.full && !job.resumed ? undefined : ((await ctx.syncState.get(CHECKPOINT)) as { cursor: string; since: string | null } | undefined);
  let cursor: string | null = saved?.cursor ?? null;
  const since = saved ? saved.since : (job.since ?? null);
  if (saved) ctx.logger.info('resuming from checkpoint', { cursor });
  do {
    const page = await client.get<RemotePage>('/customers', { query: { limit: 50, cursor: cursor ?? undefined, updated_since: since ?? undefined } });
    for (const remote of page.data) {
      try {
        await upsert(ctx, job, remote, result);
      } catch (error) {
        result.failed += 1;
        (result.errors ??= []).push({ externalId: remote.id, message: (error as Error).message });
      }
    }
    cursor = page.next_cursor;
    if (cursor) await ctx.syncState.set(CHECKPOINT, { cursor, since });
  } while (cursor);
  await ctx.syncState.delete(CHECKPOINT);
  ctx.logger.info('customers pulled', { created: result.created, updated: result.updated, skipped: result.skipped });
  return result;
}
