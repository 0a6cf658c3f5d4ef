import type { Knex } from 'knex';
import type { WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointListQuery, WebhookEndpointUpdate, WebhookEnableResult, WebhookReplay, WebhookReplayResult, WebhookRetryPolicy, WebhookTestResult } from '@uah/schemas';
import { newId, ulid } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { AppError, validationFailed } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import { mergeMetadata } from '../customers/service.js';
import { WebhookEndpointModel } from './model.js';
import { DEFAULT_RETRY_POLICY } from './policy.js';
import { generateSecret, signatureHeaders } from './signing.js';
import { graceEndsAt, rotateOut, signingPrevious } from './secrets.js';
import type { WebhookTransport } from './transport.js';
import type { DeliveryStore } from './delivery-store.js';

export { ROTATION_OVERLAP_MS } from './secrets.js';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Headers we set ourselves, or that would break the request. */
const RESERVED_HEADER = /^(content-type|content-length|content-encoding|host|connection|keep-alive|transfer-encoding|te|trailer|upgrade|expect|proxy-.*|user-agent|webhook-.*|x-webhook-.*)$/i;

export interface WebhookEndpointService {
  create(organizationId: string, input: WebhookEndpointCreate): Promise<WebhookEndpointCreated>;
  list(organizationId: string, query: WebhookEndpointListQuery): Promise<Page<WebhookEndpoint>>;
  get(organizationId: string, id: string): Promise<WebhookEndpoint>;
  update(organizationId: string, id: string, input: WebhookEndpointUpdate): Promise<WebhookEndpoint>;
  remove(organizationId: string, id: string): Promise<void>;
  rotateSecret(organizationId: string, id: string): Promise<WebhookEndpointCreated>;
  enable(organizationId: string, id: string, options: { redeliverMissed?: boolean | undefined }): Promise<WebhookEnableResult>;
  test(organizationId: string, id: string): Promise<WebhookTestResult>;
  replay(organizationId: string, id: string, range: WebhookReplay): Promise<WebhookReplayResult>;
}

export interface EndpointDeps {
  knex: Knex;
  secretBox: SecretBox;
  transport: WebhookTransport;
  deliveries: Pick<DeliveryStore, 'replay' | 'countMissed' | 'missedSince' | 'recordTest'>;
  clock: () => Date;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toEndpoint(row: WebhookEndpointModel): WebhookEndpoint {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    organizationId: row.organizationId,
    url: row.url,
    description: row.description,
    events: row.events,
    headers: row.headers,
    timeoutMs: row.timeoutMs,
    retryPolicy: row.retryPolicy,
    status: row.status,
    disabledReason: row.disabledReason,
    disabledAt: iso(row.disabledAt),
    consecutiveFailures: row.consecutiveFailures,
    failingSince: iso(row.failingSince),
    previousSecretExpiresAt: iso(graceEndsAt(row.previousSecrets, new Date())),
    metadata: row.metadata,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function checkHeaders(headers: Record<string, string> | undefined): void {
  const reserved = Object.keys(headers ?? {}).filter((name) => RESERVED_HEADER.test(name));
  if (reserved.length > 0) throw validationFailed(reserved.map((name) => ({ field: `/headers/${name}`, in: 'body', message: 'is set by the hub and cannot be overridden' })));
}

function checkedPolicy(policy: WebhookRetryPolicy): WebhookRetryPolicy {
  if (policy.maxDelay < policy.initialDelay) throw validationFailed([{ field: '/retryPolicy/maxDelay', in: 'body', message: 'must not be below initialDelay' }]);
  return policy;
}

export function createWebhookEndpointService(deps: EndpointDeps): WebhookEndpointService {
  const { knex, secretBox, transport, clock } = deps;

  async function checkUrl(url: string): Promise<void> {
    const problem = await transport.checkUrl(url);
    if (problem) throw new AppError('WEBHOOK_URL_UNSAFE', `The URL cannot receive webhooks: ${problem}.`, { errors: [{ field: '/url', in: 'body', message: problem }] });
  }

  const find = (organizationId: string, id: string, trx?: Knex.Transaction, forUpdate = false): Promise<WebhookEndpointModel> =>
    WebhookEndpointModel.findInOrganization(organizationId, id, 'webhook endpoint', trx ?? knex, { forUpdate });

  const withSecret = (row: WebhookEndpointModel, secret: string): WebhookEndpointCreated => ({ ...toEndpoint(row), secret });

  const service: WebhookEndpointService = {
    async create(organizationId, input) {
      checkHeaders(input.headers);
      const retryPolicy = checkedPolicy({ ...DEFAULT_RETRY_POLICY, ...(input.retryPolicy ?? {}) });
      await checkUrl(input.url);
      const secret = generateSecret();
      const now = clock();
      const active = input.active ?? true;
      const row = await WebhookEndpointModel.forOrganization(organizationId, knex).insertAndFetch({
        id: newId('whe'),
        organizationId,
        url: input.url,
        description: input.description ?? null,
        events: input.events,
        headers: input.headers ?? {},
        timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        retryPolicy,
        status: active ? 'ACTIVE' : 'DISABLED',
        disabledReason: active ? null : 'Disabled when created.',
        disabledAt: active ? null : now,
        secretSealed: secretBox.seal(secret),
        metadata: input.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      } as Partial<WebhookEndpointModel>);
      return withSecret(row, secret);
    },

    list(organizationId, query) {
      const q = WebhookEndpointModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      return fetchPage(q, query, toEndpoint);
    },

    async get(organizationId, id) {
      return toEndpoint(await find(organizationId, id));
    },

    async update(organizationId, id, input) {
      checkHeaders(input.headers);
      if (input.url !== undefined) await checkUrl(input.url);
      return knex.transaction(async (trx) => {
        const row = await find(organizationId, id, trx, true);
        const now = clock();
        const patch: Partial<WebhookEndpointModel> = { updatedAt: now };
        for (const field of ['url', 'events', 'headers', 'timeoutMs'] as const) if (input[field] !== undefined) (patch as Record<string, unknown>)[field] = input[field];
        if (input.description !== undefined) patch.description = input.description;
        if (input.retryPolicy !== undefined) patch.retryPolicy = { ...row.retryPolicy, ...input.retryPolicy };
        if (input.metadata !== undefined) patch.metadata = mergeMetadata(row.metadata, input.metadata);
        if (input.active === false && row.status === 'ACTIVE') Object.assign(patch, { status: 'DISABLED', disabledReason: 'Disabled by the API.', disabledAt: now });
        if (input.active === true && row.status === 'DISABLED') Object.assign(patch, { status: 'ACTIVE', disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null, warnedAt: null });
        if (patch.retryPolicy) checkedPolicy(patch.retryPolicy);
        return toEndpoint(await WebhookEndpointModel.forOrganization(organizationId, trx).patchAndFetchById(id, patch));
      });
    },

    async remove(organizationId, id) {
      await find(organizationId, id);
      await WebhookEndpointModel.forOrganization(organizationId, knex).deleteById(id);
    },

    async rotateSecret(organizationId, id) {
      const secret = generateSecret();
      return knex.transaction(async (trx) => {
        const row = await find(organizationId, id, trx, true);
        const now = clock();
        const updated = await WebhookEndpointModel.forOrganization(organizationId, trx).patchAndFetchById(id, {
          secretSealed: secretBox.seal(secret),
          previousSecrets: rotateOut(row.secretSealed, row.previousSecrets, now),
          updatedAt: now,
        });
        return withSecret(updated, secret);
      });
    },

    async enable(organizationId, id, options) {
      const row = await find(organizationId, id);
      const since = await deps.deliveries.missedSince(row);
      const now = clock();
      const enabled = await WebhookEndpointModel.forOrganization(organizationId, knex).patchAndFetchById(id, {
        status: 'ACTIVE', disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null, warnedAt: null, updatedAt: now,
      });
      if (row.status === 'ACTIVE' || !since) return { endpoint: toEndpoint(enabled), missed: 0, scheduled: 0 };
      const missed = await deps.deliveries.countMissed(enabled, since);
      const scheduled = options.redeliverMissed ? await deps.deliveries.replay(enabled, { from: since, to: now }) : 0;
      return { endpoint: toEndpoint(enabled), missed, scheduled };
    },

    async replay(organizationId, id, range) {
      return { scheduled: await deps.deliveries.replay(await find(organizationId, id), range) };
    },

    async test(organizationId, id) {
      const row = await find(organizationId, id);
      const deliveryId = newId('msg');
      const eventId = `evt_test_${ulid()}`;
      const now = clock();
      const body = JSON.stringify({
        id: eventId, object: 'event', type: 'webhook.test', aggregateId: row.id, aggregateType: 'webhook_endpoint', organizationId,
        data: { object: { endpointId: row.id, url: row.url } }, metadata: { source: 'SYSTEM' }, version: 1, timestamp: now.toISOString(),
      });
      // Signed like any delivery: with the current secret and each one still in its grace period.
      const secrets = [row.secretSealed, ...signingPrevious(row.previousSecrets, now)].map((sealed) => secretBox.open(sealed));
      const headers = { ...row.headers, 'content-type': 'application/json', ...signatureHeaders({ id: deliveryId, timestamp: Math.floor(now.getTime() / 1000), body, eventType: 'webhook.test', secrets }) };
      const res = await transport.send({ url: row.url, headers, body, timeoutMs: row.timeoutMs });
      await deps.deliveries.recordTest({ organizationId, endpointId: row.id, deliveryId, eventId, body, response: res });
      const ok = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
      return { ok, deliveryId, statusCode: res.statusCode, durationMs: res.durationMs, responseBody: res.responseBody, error: res.error };
    },
  };
  return service;
}
