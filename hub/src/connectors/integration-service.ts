import type { Knex } from 'knex';
import { AppError, newId, type SecretBox } from '@uah/core';
import { compareVersions, CONSENT_STATE_KEY, consentStatus, parseVersion, type ConnectorManifest } from '@uah/connector-sdk';
import type { Integration, IntegrationPut, IntegrationStatus } from '@uah/schemas';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { ConnectorRuntime, FailureReport } from './runtime.js';
import { checkAgainst } from './manifest-schemas.js';
import { toProblem } from './failures.js';
import { createSyncState } from './connector-store.js';
import { authorizationOf, type OAuthColumns } from './oauth/view.js';
import type { ParkedEvents } from './parked-events.js';

interface IntegrationRow extends OAuthColumns {
  id: string;
  organizationId: string;
  connectorId: string;
  connectorVersion: string;
  isActive: boolean;
  credentialsSealed: string;
  credentialsHint: Record<string, string> | string;
  config: Record<string, unknown>;
  errorCount: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastSyncAt: Date | null;
  lastSyncStatus: IntegrationStatus['lastSyncStatus'];
  createdAt: Date;
  updatedAt: Date;
}

export interface IntegrationService {
  list(organizationId: string): Promise<Integration[]>;
  get(organizationId: string, connectorId: string): Promise<Integration>;
  put(organizationId: string, connectorId: string, input: IntegrationPut): Promise<Integration>;
  disable(organizationId: string, connectorId: string): Promise<Integration>;
  status(organizationId: string, connectorId: string): Promise<IntegrationStatus>;
  runAction(organizationId: string, connectorId: string, action: string, input: Record<string, unknown>): Promise<unknown>;
  /** What a handler call of an active integration needs: pinned version, opened credentials, config (404/409 otherwise). */
  binding(organizationId: string, connectorId: string): Promise<{ version: string; credentials: Record<string, unknown>; config: Record<string, unknown> }>;
  /** Counts a handler failure on the integration (the runtime's `onFailure`). */
  recordFailure(report: FailureReport): Promise<void>;
}

export interface IntegrationDeps {
  knex: Knex;
  catalog: Catalog;
  runtime: Pick<ConnectorRuntime, 'invoke'>;
  secrets: SecretBox;
  parked: Pick<ParkedEvents, 'summary'>;
}

const MASK = '••••';
/** Enough to recognise a key, never enough to use it. */
export function maskCredentials(credentials: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, typeof v === 'string' && v.length >= 16 ? MASK + v.slice(-4) : MASK]));
}

const notFound = (connectorId: string): AppError => new AppError('NOT_FOUND', `No integration with ${connectorId} in this organization.`);
const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function frequencyOf(manifest: ConnectorManifest | undefined): { label: IntegrationStatus['syncFrequency']; minutes: number } {
  const minutes = Math.min(...(manifest?.dataTypes ?? []).map((d) => d.defaultFrequencyMinutes ?? 60), 24 * 60 * 7);
  const label = minutes <= 15 ? 'REAL_TIME' : minutes <= 60 ? 'HOURLY' : minutes <= 1440 ? 'DAILY' : 'WEEKLY';
  return { label, minutes };
}

export function createIntegrationService(deps: IntegrationDeps): IntegrationService {
  const { knex, catalog, secrets } = deps;
  const rows = (organizationId: string): Knex.QueryBuilder => knex('integrations').where('organization_id', organizationId);

  function newerThan(connectorId: string, version: string): string | null {
    const latest = catalog.get(connectorId);
    const a = latest && parseVersion(latest.version);
    const b = parseVersion(version);
    return latest && a && b && compareVersions(a, b) > 0 ? latest.version : null;
  }

  const authorization = (row: IntegrationRow): Pick<Integration, 'authorization'> => {
    const view = authorizationOf(row, catalog.get(row.connectorId, row.connectorVersion)?.manifest);
    return view ? { authorization: view } : {};
  };

  function toIntegration(row: IntegrationRow): Integration {
    return {
      object: 'integration', id: row.id, organizationId: row.organizationId, connectorId: row.connectorId, version: row.connectorVersion,
      availableVersion: newerThan(row.connectorId, row.connectorVersion), isActive: row.isActive,
      credentialsHint: typeof row.credentialsHint === 'string' ? (JSON.parse(row.credentialsHint) as Record<string, string>) : row.credentialsHint,
      configuration: row.config, errorCount: row.errorCount, lastError: row.lastError, lastErrorAt: iso(row.lastErrorAt),
      createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString(), ...authorization(row),
    };
  }

  async function find(organizationId: string, connectorId: string): Promise<IntegrationRow | undefined> {
    return rows(organizationId).where('connector_id', connectorId).first<IntegrationRow | undefined>();
  }

  function usable(connectorId: string, version: string | undefined): CatalogEntry & { manifest: ConnectorManifest } {
    const entry = catalog.get(connectorId, version);
    if (!entry) throw new AppError('NOT_FOUND', version ? `No version ${version} of connector ${connectorId} is installed.` : `No connector ${connectorId} is installed.`);
    if (!entry.available || !entry.manifest) throw new AppError('CONNECTOR_UNAVAILABLE', `${connectorId}@${entry.version} cannot be used: ${entry.problem?.message ?? 'unavailable'}`);
    return entry as CatalogEntry & { manifest: ConnectorManifest };
  }

  async function activeRow(organizationId: string, connectorId: string): Promise<IntegrationRow> {
    const row = await find(organizationId, connectorId);
    if (!row) throw notFound(connectorId);
    if (!row.isActive) throw new AppError('INTEGRATION_INACTIVE', `The integration with ${connectorId} is disabled; enable it with PUT first.`);
    return row;
  }

  return {
    async list(organizationId) {
      return ((await rows(organizationId).orderBy('connector_id')) as IntegrationRow[]).map(toIntegration);
    },
    async get(organizationId, connectorId) {
      const row = await find(organizationId, connectorId);
      if (!row) throw notFound(connectorId);
      return toIntegration(row);
    },
    async put(organizationId, connectorId, input) {
      const existing = await find(organizationId, connectorId);
      const entry = usable(connectorId, input.version ?? existing?.connectorVersion);
      const credentials = input.credentials ?? (existing ? (JSON.parse(secrets.open(existing.credentialsSealed)) as Record<string, unknown>) : undefined);
      if (!credentials) throw new AppError('VALIDATION_FAILED', 'Give the credentials to enable the integration.', { errors: [{ field: '/credentials', in: 'body', message: 'is required' }] });
      const config = input.config ?? existing?.config ?? {};
      checkAgainst([entry.manifest.credentialsSchema, credentials, '/credentials'], [entry.manifest.configSchema, config, '/config']);
      // An OAuth2 integration has no token to check with until it is authorized (after this PUT).
      const checkable = entry.manifest.auth.type !== 'oauth2' || existing?.oauthStatus === 'AUTHORIZED';
      if (checkable && entry.module?.handlers.includes('check')) {
        await deps.runtime.invoke({ connectorId, version: entry.version, organizationId, credentials, config, cause: { source: 'IMPORT' }, kind: 'check', args: [] }).catch((e: unknown) => {
          throw toProblem(e);
        });
      }
      const values = {
        connector_version: entry.version, is_active: true, credentials_sealed: secrets.seal(JSON.stringify(credentials)),
        credentials_hint: JSON.stringify(maskCredentials(credentials)), config: JSON.stringify(config), disabled_at: null, updated_at: knex.fn.now(),
      };
      await knex('integrations')
        .insert({ id: newId('int'), organization_id: organizationId, connector_id: connectorId, ...values })
        .onConflict(['organization_id', 'connector_id'])
        .merge(Object.keys(values));
      return this.get(organizationId, connectorId);
    },
    async disable(organizationId, connectorId) {
      const updated = await rows(organizationId).where('connector_id', connectorId).update({ is_active: false, disabled_at: knex.fn.now(), updated_at: knex.fn.now() });
      if (!updated) throw notFound(connectorId);
      return this.get(organizationId, connectorId);
    },
    async status(organizationId, connectorId) {
      const row = await find(organizationId, connectorId);
      if (!row) throw notFound(connectorId);
      const manifest = catalog.get(connectorId, row.connectorVersion)?.manifest;
      const frequency = frequencyOf(manifest);
      const consent = consentStatus(await createSyncState(knex, { organizationId, connectorId }).get(CONSENT_STATE_KEY));
      const next = row.isActive ? new Date((row.lastSyncAt ? new Date(row.lastSyncAt).getTime() : Date.now()) + frequency.minutes * 60_000).toISOString() : null;
      return {
        provider: connectorId, organizationId, isActive: row.isActive, lastSyncAt: iso(row.lastSyncAt), lastSyncStatus: row.lastSyncStatus ?? null,
        errorCount: row.errorCount, nextSyncAt: next, syncFrequency: frequency.label, dataTypes: (manifest?.dataTypes ?? []).map((d) => d.type), configuration: row.config, ...authorization(row),
        ...(consent ? { consent } : {}),
        parked: await deps.parked.summary(organizationId, connectorId),
      };
    },
    async runAction(organizationId, connectorId, action, input) {
      const row = await activeRow(organizationId, connectorId);
      const entry = usable(connectorId, row.connectorVersion);
      const declared = entry.manifest.actions.find((a) => a.name === action);
      if (!declared) throw new AppError('NOT_FOUND', `${connectorId} has no action ${action}.`);
      checkAgainst([declared.inputSchema, input, '']);
      const credentials = JSON.parse(secrets.open(row.credentialsSealed)) as Record<string, unknown>;
      try {
        return await deps.runtime.invoke({ connectorId, version: row.connectorVersion, organizationId, credentials, config: row.config, cause: { source: 'IMPORT' }, kind: 'action', name: action, args: [input] });
      } catch (error) {
        throw toProblem(error);
      }
    },
    async binding(organizationId, connectorId) {
      const row = await activeRow(organizationId, connectorId);
      return { version: row.connectorVersion, credentials: JSON.parse(secrets.open(row.credentialsSealed)) as Record<string, unknown>, config: row.config };
    },
    async recordFailure(report) {
      await rows(report.organizationId).where('connector_id', report.connectorId).update({
        error_count: knex.raw('error_count + 1'), last_error: `${report.kind}: ${report.reason}: ${report.message}`.slice(0, 2000), last_error_at: knex.fn.now(),
      });
    },
  };
}
