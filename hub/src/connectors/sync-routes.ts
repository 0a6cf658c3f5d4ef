import { AppError, defineRoute, type Route } from '@uah/core';
import type { SyncEngine } from './sync-engine.js';

const integration = '/v1/organizations/:orgId/integrations/:connectorId';
const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const JOB = /^syn_[0-9A-Za-z]{1,40}$/;

function param(params: Record<string, string>, name: string, pattern: RegExp): string {
  const value = params[name] ?? '';
  if (!pattern.test(value)) throw new AppError('NOT_FOUND', `No such ${name === 'jobId' ? 'sync job' : 'integration'}.`);
  return value;
}
const connector = (params: Record<string, string>): string => param(params, 'connectorId', ID);

export function createSyncRoutes(sync: SyncEngine): Route[] {
  return [
    defineRoute({
      method: 'POST', path: `${integration}/sync`, operationId: 'startIntegrationSync', tag: 'Integrations', summary: 'Sync now', scope: 'admin',
      description: "Queues one job per data type and direction (all of the manifest's by default) and answers 202 with them; 409 INTEGRATION_INACTIVE when the integration is disabled. `full: true` asks for a full pass, which also finds the linked records deleted at the provider (see the sync config's `deletions`). Only one job of a data type and direction runs at a time, whatever the number of hub processes; a job whose process stopped is resumed by another.",
      body: 'IntegrationSyncRequest', response: { status: 202, list: 'IntegrationSyncJob' }, errors: [409],
      handler: async ({ organizationId, params, body }) => ({ data: await sync.enqueue(organizationId, connector(params), { ...(body.dataTypes ? { dataTypes: body.dataTypes } : {}), full: body.full ?? false, trigger: 'manual' }), nextCursor: null }),
    }),
    defineRoute({
      method: 'GET', path: `${integration}/sync-jobs`, operationId: 'listIntegrationSyncJobs', tag: 'Integrations', summary: 'Recent sync jobs (newest first, 100 at most)',
      query: 'EmptyQuery', response: { status: 200, list: 'IntegrationSyncJob' },
      handler: async ({ organizationId, params }) => ({ data: await sync.list(organizationId, connector(params)), nextCursor: null }),
    }),
    defineRoute({
      method: 'GET', path: `${integration}/sync-jobs/:jobId`, operationId: 'getIntegrationSyncJob', tag: 'Integrations', summary: 'A sync job with its counts and log',
      response: { status: 200, schema: 'IntegrationSyncJob' },
      handler: ({ organizationId, params }) => sync.get(organizationId, connector(params), param(params, 'jobId', JOB)),
    }),
    defineRoute({
      method: 'GET', path: `${integration}/sync-config`, operationId: 'getIntegrationSyncConfig', tag: 'Integrations', summary: "An integration's sync options",
      response: { status: 200, schema: 'IntegrationSyncConfig' },
      handler: ({ organizationId, params }) => sync.getConfig(organizationId, connector(params)),
    }),
    defineRoute({
      method: 'PUT', path: `${integration}/sync-config`, operationId: 'putIntegrationSyncConfig', tag: 'Integrations', summary: "Set an integration's sync options", scope: 'admin',
      description: 'Direction, conflict rule (logged on each job that meets a conflict), field mappings and schedule per data type, lookback window. Data types the connector does not sync are refused.',
      body: 'IntegrationSyncConfig', response: { status: 200, schema: 'IntegrationSyncConfig' },
      handler: ({ organizationId, params, body }) => sync.setConfig(organizationId, connector(params), body),
    }),
  ];
}
