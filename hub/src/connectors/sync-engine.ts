import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { afterCommit, AppError, newId, type CoreServices } from '@uah/core';
import type { SyncJob, SyncResult } from '@uah/connector-sdk';
import type { IntegrationSyncConfig, IntegrationSyncJob } from '@uah/schemas';
import type { Catalog } from './catalog.js';
import type { IntegrationService } from './integration-service.js';
import type { ConnectorRuntime } from './runtime.js';
import { createLeases, type LeaseHold, type LeaseOptions } from './sync-lease.js';
import { detectDeletions, type DeletionServices } from './sync-deletions.js';

interface JobRow {
  id: string; organizationId: string; connectorId: string; dataType: string; direction: 'pull' | 'push'; trigger: IntegrationSyncJob['trigger']; full: boolean;
  status: IntegrationSyncJob['status']; attempts: number; createdCount: number; updatedCount: number; skippedCount: number; failedCount: number; deletedCount: number;
  log: IntegrationSyncJob['log']; error: string | null; startedAt: Date | null; finishedAt: Date | null; createdAt: Date;
}

export interface SyncEngine {
  enqueue(organizationId: string, connectorId: string, request: { dataTypes?: string[]; full?: boolean; trigger?: IntegrationSyncJob['trigger'] }): Promise<IntegrationSyncJob[]>;
  list(organizationId: string, connectorId: string): Promise<IntegrationSyncJob[]>;
  get(organizationId: string, connectorId: string, jobId: string): Promise<IntegrationSyncJob>;
  getConfig(organizationId: string, connectorId: string): Promise<IntegrationSyncConfig>;
  setConfig(organizationId: string, connectorId: string, config: IntegrationSyncConfig): Promise<IntegrationSyncConfig>;
  /** Queues a scheduled job for each data type whose interval has passed (none while one is queued or running). */
  scheduleDue(now?: Date): Promise<number>;
  /**
   * Runs the queued jobs this process can claim, and takes over running jobs whose lease has expired
   * (their process stopped) to resume them; resolves when they have ended.
   */
  runQueued(): Promise<number>;
  /** Hands the jobs this process runs back (their leases released), so another process resumes them at once. */
  stop(): Promise<void>;
}

export interface SyncEngineDeps {
  knex: Knex;
  catalog: Catalog;
  integrations: Pick<IntegrationService, 'binding'>;
  runtime: Pick<ConnectorRuntime, 'invoke'>;
  events: CoreServices['events'];
  /** The services a full pass archives or voids records through. */
  books: DeletionServices;
  logger: Logger;
  lease?: LeaseOptions;
  /** Called once jobs asked for by hand are committed, to start them without waiting for the next tick. */
  onQueued?: () => void;
}

const MAX_LOG_LINES = 200;
/** A job interrupted this many times is given up on (it may be what stops its process). */
const MAX_ATTEMPTS = 3;
/** Every how many scheduled runs of a data type one is a full pass, unless the sync config says. */
export const DEFAULT_FULL_SYNC_EVERY = 24;
const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function toJob(row: JobRow): IntegrationSyncJob {
  return {
    object: 'sync_job', id: row.id, organizationId: row.organizationId, connectorId: row.connectorId, dataType: row.dataType, direction: row.direction, trigger: row.trigger, full: row.full,
    status: row.status, attempts: row.attempts, counts: { created: row.createdCount, updated: row.updatedCount, skipped: row.skippedCount, failed: row.failedCount, deleted: row.deletedCount },
    log: row.log, error: row.error, startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt), createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** Counts that are not whole non-negative numbers are the connector's mistake: they count as 0. */
const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);

export function createSyncEngine(deps: SyncEngineDeps): SyncEngine {
  const { knex, catalog } = deps;
  const leases = createLeases(knex, deps.lease);
  const jobs = (org: string, connectorId: string): Knex.QueryBuilder => knex('sync_jobs').where({ organization_id: org, connector_id: connectorId });

  async function integrationRow(org: string, connectorId: string): Promise<{ id: string; isActive: boolean; syncConfig: IntegrationSyncConfig; connectorVersion: string }> {
    const row = await knex('integrations').where({ organization_id: org, connector_id: connectorId }).first<{ id: string; isActive: boolean; syncConfig: IntegrationSyncConfig; connectorVersion: string } | undefined>();
    if (!row) throw new AppError('NOT_FOUND', `No integration with ${connectorId} in this organization.`);
    return row;
  }

  /**
   * The (data type, direction) pairs of the pinned manifest; a bidirectional type runs a pull and a push,
   * or only one of them when the sync config's `direction` narrows it to `pull` or `push`.
   */
  function pairsOf(connectorId: string, version: string, only?: string[], narrowed?: IntegrationSyncConfig['direction']): Array<{ dataType: string; direction: 'pull' | 'push'; minutes: number }> {
    const manifest = catalog.get(connectorId, version)?.manifest;
    const types = manifest?.dataTypes ?? [];
    const unknown = (only ?? []).filter((t) => !types.some((d) => d.type === t));
    if (unknown.length > 0) throw new AppError('VALIDATION_FAILED', `${connectorId} does not sync ${unknown.join(', ')}.`, { errors: [{ field: '/dataTypes', in: 'body', message: `unknown: ${unknown.join(', ')}` }] });
    return types
      .filter((d) => !only || only.includes(d.type))
      .flatMap((d) => (d.direction !== 'bidirectional' ? [d.direction] : narrowed === 'pull' || narrowed === 'push' ? [narrowed] : (['pull', 'push'] as const)).map((direction) => ({ dataType: d.type, direction, minutes: d.defaultFrequencyMinutes ?? 60 })));
  }

  /** Thrown when the job's lease is lost: whoever holds it now will end the job. */
  class LeaseLost extends Error {}

  async function finish(row: JobRow, hold: LeaseHold, outcome: { result?: SyncResult; error?: string; deleted?: number }, log: IntegrationSyncJob['log'], conflictRule: string): Promise<void> {
    const r = outcome.result;
    const counts = { created: count(r?.created), updated: count(r?.updated), skipped: count(r?.skipped), failed: count(r?.failed), deleted: outcome.deleted ?? 0 };
    for (const c of (r?.conflicts ?? []).slice(0, 50)) log.push({ at: new Date().toISOString(), level: 'info', message: `conflict on ${c.externalId ?? c.internalId ?? 'a record'}: ${conflictRule} kept ${c.winner === 'ours' ? "the hub's" : "the provider's"} version` });
    for (const e of (r?.errors ?? []).slice(0, 20)) log.push({ at: new Date().toISOString(), level: 'warn', message: `${e.externalId ?? e.internalId ?? 'record'}: ${String(e.message).slice(0, 500)}` });
    const status: IntegrationSyncJob['status'] = outcome.error ? 'FAILED' : counts.failed > 0 ? 'PARTIAL' : 'SUCCESS';
    if (!hold.valid()) throw new LeaseLost();
    await knex.transaction(async (trx) => {
      // Only the lease's holder ends the job: a process that lost it (and whose calls were refused since) writes nothing.
      const [updated] = await trx('sync_jobs').where({ id: row.id, lease_owner: leases.owner, status: 'RUNNING' }).update({
        status, created_count: counts.created, updated_count: counts.updated, skipped_count: counts.skipped, failed_count: counts.failed, deleted_count: counts.deleted,
        log: JSON.stringify(log.slice(-MAX_LOG_LINES)), error: outcome.error?.slice(0, 2000) ?? null, finished_at: trx.fn.now(), lease_owner: null, lease_expires_at: null,
      }).returning('*') as JobRow[];
      if (!updated) throw new LeaseLost();
      const integration = await trx('integrations').where({ organization_id: row.organizationId, connector_id: row.connectorId }).update({ last_sync_at: row.startedAt, last_sync_status: status }).returning<Array<{ id: string }>>('id');
      // The event commits with the job's end: a reader of the log never sees one without the other.
      await deps.events.append(trx, [{ type: 'system.sync_completed', aggregateType: 'integration', aggregateId: integration[0]?.id ?? row.id, organizationId: row.organizationId, data: { object: toJob(updated) } }], { source: 'SYSTEM', causationId: row.id });
    });
  }

  async function jobOf(row: JobRow, syncConfig: IntegrationSyncConfig): Promise<SyncJob> {
    const last = await jobs(row.organizationId, row.connectorId).where({ data_type: row.dataType, direction: row.direction }).whereIn('status', ['SUCCESS', 'PARTIAL']).max<{ max: Date | null }>('started_at as max').first();
    const lastSuccessAt = last?.max ? new Date(last.max).toISOString() : null;
    const lookbackMs = (syncConfig.lookbackMinutes ?? 15) * 60_000;
    return {
      id: row.id, dataType: row.dataType, direction: row.direction, trigger: row.trigger, full: row.full, resumed: row.attempts > 1, lastSuccessAt,
      since: row.full || !lastSuccessAt ? null : new Date(Date.parse(lastSuccessAt) - lookbackMs).toISOString(),
      conflictResolution: syncConfig.conflictResolution ?? 'MASTER_WINS', fieldMappings: syncConfig.fieldMappings?.[row.dataType] ?? {},
    };
  }

  async function run(row: JobRow, hold: LeaseHold): Promise<void> {
    const log: IntegrationSyncJob['log'] = [];
    const note = (level: IntegrationSyncJob['log'][number]['level'], message: string): void => void (log.length < MAX_LOG_LINES && log.push({ at: new Date().toISOString(), level, message: message.slice(0, 1000) }));
    let conflictRule = 'MASTER_WINS';
    try {
      if (row.attempts > 1) note('warn', `resumed (start ${row.attempts}): the process that ran this job stopped before it ended`);
      if (row.attempts > MAX_ATTEMPTS) throw new Error(`the job was interrupted ${row.attempts - 1} times and is given up`);
      const binding = await deps.integrations.binding(row.organizationId, row.connectorId);
      const { syncConfig } = await integrationRow(row.organizationId, row.connectorId);
      conflictRule = syncConfig.conflictResolution ?? 'MASTER_WINS';
      const fullPull = row.full && row.direction === 'pull';
      const result = (await deps.runtime.invoke({
        connectorId: row.connectorId, version: binding.version, organizationId: row.organizationId, credentials: binding.credentials, config: binding.config,
        cause: { source: 'IMPORT', causationId: row.id }, kind: 'sync', name: row.dataType, args: [await jobOf(row, syncConfig)], onLog: note, signal: hold.lost,
        fence: () => {
          if (!hold.valid()) throw new Error('this sync job is no longer run by this process (its lease was lost)');
        },
        ...(fullPull ? { seenBy: { jobId: row.id, entityType: row.dataType } } : {}),
      })) as SyncResult;
      let deleted = 0;
      if (fullPull && count(result?.failed) === 0) {
        const pass = { jobId: row.id, organizationId: row.organizationId, connectorId: row.connectorId, dataType: row.dataType, startedAt: new Date(row.startedAt ?? row.createdAt) };
        deleted = await detectDeletions(knex, deps.books, pass, syncConfig.deletions ?? {}, note, hold.valid);
      } else if (fullPull) {
        note('warn', 'some records failed: deletions at the provider are not judged on this pass');
      }
      await finish(row, hold, { result, deleted }, log, conflictRule);
    } catch (error) {
      if (error instanceof LeaseLost || !hold.valid()) {
        deps.logger.warn({ jobId: row.id, connectorId: row.connectorId }, 'sync job left to the process that holds its lease now');
        return;
      }
      await finish(row, hold, { error: (error as Error).message }, log, conflictRule).catch((e: unknown) => {
        if (!(e instanceof LeaseLost)) deps.logger.error({ err: e, jobId: row.id }, 'sync job could not be ended');
      });
    } finally {
      hold.end();
    }
  }

  /** Whether the next scheduled run of this data type and direction is a full pass. */
  async function fullIsDue(scope: Knex.QueryBuilder, every: number): Promise<boolean> {
    if (every <= 0) return false;
    const lastFull = await scope.clone().where('full', true).max<{ max: Date | null }>('created_at as max').first();
    const since = scope.clone().where({ trigger: 'schedule', full: false });
    if (lastFull?.max) since.where('created_at', '>', lastFull.max);
    const incremental = await since.count<Array<{ count: string | number }>>({ count: '*' }).first();
    return Number(incremental?.count ?? 0) >= every - 1;
  }

  async function runQueued(): Promise<number> {
    // Abandoned jobs (running, lease expired) first: they block their data type until taken over.
    const candidates = await knex('sync_jobs')
      .where((q) => void q.where('status', 'QUEUED').orWhere((r) => void r.where('status', 'RUNNING').where((e) => void e.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', knex.fn.now()))))
      .orderByRaw("CASE WHEN status = 'RUNNING' THEN 0 ELSE 1 END")
      .orderBy('created_at')
      .limit(50)
      .select<Array<{ id: string }>>('id');
    const running: Array<Promise<void>> = [];
    for (const { id } of candidates) {
      // The partial unique index allows one RUNNING job per integration, data type and direction, across processes.
      const claimed = await leases.claim<JobRow>(id);
      if (claimed) running.push(run(claimed.row, claimed.hold));
  }
  await Promise.all(running);
  // A job that waited behind one of these (same data type and direction) starts now, not at the next tick.
  if (running.length > 0 && running.length < candidates.length) return running.length + (await runQueued());
  return running.length;
  }

  return {
    async enqueue(org, connectorId, request) {
      const integration = await integrationRow(org, connectorId);
      if (!integration.isActive) throw new AppError('INTEGRATION_INACTIVE', `The integration with ${connectorId} is disabled.`);
      const pairs = pairsOf(connectorId, integration.connectorVersion, request.dataTypes, integration.syncConfig.direction);
      const rows = pairs.map((p) => ({ id: newId('syn'), organization_id: org, connector_id: connectorId, data_type: p.dataType, direction: p.direction, trigger: request.trigger ?? 'manual', full: request.full ?? false }));
      if (rows.length === 0) return [];
      const queued = ((await knex('sync_jobs').insert(rows).returning('*')) as JobRow[]).map(toJob);
      if (deps.onQueued) afterCommit(deps.onQueued);
      return queued;
    },
    async list(org, connectorId) {
      await integrationRow(org, connectorId);
      return ((await jobs(org, connectorId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(100)) as JobRow[]).map(toJob);
    },
    async get(org, connectorId, jobId) {
      const row = (await jobs(org, connectorId).where('id', jobId).first()) as JobRow | undefined;
      if (!row) throw new AppError('NOT_FOUND', `No sync job ${jobId} in this integration.`);
      return toJob(row);
    },
    async getConfig(org, connectorId) {
      return (await integrationRow(org, connectorId)).syncConfig;
    },
    async setConfig(org, connectorId, config) {
      const integration = await integrationRow(org, connectorId);
      pairsOf(connectorId, integration.connectorVersion, Object.keys({ ...(config.schedule ?? {}), ...(config.fieldMappings ?? {}), ...(config.fullSyncEvery ?? {}) }));
      await knex('integrations').where('id', integration.id).update({ sync_config: JSON.stringify(config), updated_at: knex.fn.now() });
      return config;
    },
    async scheduleDue(now = new Date()) {
      type Active = Array<{ organizationId: string; connectorId: string; connectorVersion: string; syncConfig: IntegrationSyncConfig; oauthStatus: string | null }>;
      const active = await knex('integrations').where('is_active', true).select<Active>('organization_id', 'connector_id', 'connector_version', 'sync_config', 'oauth_status');
      let queued = 0;
      for (const integration of active) {
        // An oauth2 integration not (or no longer) authorized would only fail: it waits for its authorization.
        if (catalog.get(integration.connectorId, integration.connectorVersion)?.manifest?.auth.type === 'oauth2' && integration.oauthStatus !== 'AUTHORIZED') continue;
        for (const pair of pairsOf(integration.connectorId, integration.connectorVersion, undefined, integration.syncConfig.direction)) {
          const minutes = integration.syncConfig.schedule?.[pair.dataType] ?? pair.minutes;
          if (minutes === 0) continue;
          const scope = jobs(integration.organizationId, integration.connectorId).where({ data_type: pair.dataType, direction: pair.direction });
          const recent: unknown = await scope.clone().where((q) => void q.whereIn('status', ['QUEUED', 'RUNNING']).orWhere('created_at', '>', new Date(now.getTime() - minutes * 60_000))).first('id');
          if (recent) continue;
          const full = await fullIsDue(scope, integration.syncConfig.fullSyncEvery?.[pair.dataType] ?? DEFAULT_FULL_SYNC_EVERY);
          await knex('sync_jobs').insert({ id: newId('syn'), organization_id: integration.organizationId, connector_id: integration.connectorId, data_type: pair.dataType, direction: pair.direction, trigger: 'schedule', full });
          queued += 1;
        }
      }
      return queued;
    },
    runQueued,
    stop: () => leases.releaseAll(),
  };
}
