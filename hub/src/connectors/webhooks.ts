import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, defineRoute, type Route } from '@uah/core';
import type { Catalog } from './catalog.js';
import type { IntegrationService } from './integration-service.js';
import type { ConnectorRuntime, FailureReport } from './runtime.js';
import { toProblem } from './failures.js';

const CONNECTOR = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ORG = /^org_[0-9A-Za-z]{1,40}$/;
export interface WebhookDeps {
  knex: Knex;
  catalog: Catalog;
  integrations: IntegrationService;
  runtime: Pick<ConnectorRuntime, 'invoke' | 'recordFailure'>;
}

function headersOf(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/**
 * `POST /v1/hooks/{connectorId}/{orgId}`: the connector verifies the exact bytes, then handles the
 * webhook once per provider event. The handling runs in one database transaction with the receipt that
 * records it: the changes the handler makes through the books commit together with "this event was
 * handled", or neither does (a crash, a failed handler), and the provider's retry runs it again. While
 * one delivery of an event is being handled, another gets 409.
 */
export function createWebhookRoute(deps: WebhookDeps): Route {
  const { knex } = deps;

  /** Holds the event for this transaction; `busy` when another delivery of it holds it now. */
  async function hold(trx: Knex.Transaction, org: string, connectorId: string, eventId: string): Promise<'held' | 'done' | 'busy'> {
    const lock = await trx.raw<{ rows: Array<{ held: boolean }> }>('SELECT pg_try_advisory_xact_lock(hashtextextended(?, 11)) AS held', [`hook ${org} ${connectorId} ${eventId}`]);
    if (!lock.rows[0]?.held) return 'busy';
    const done = await trx('connector_webhook_receipts').where({ organization_id: org, connector_id: connectorId, provider_event_id: eventId }).first<{ status: string } | undefined>('status');
    return done ? 'done' : 'held';
  }

  return defineRoute({
    method: 'POST', path: '/v1/hooks/:connectorId/:orgId', operationId: 'receiveProviderWebhook', tag: 'Integrations', auth: 'none', rawBody: true, query: 'ProviderWebhookQuery',
    summary: "A provider's webhook for one organization's integration",
    description: "The body is kept byte for byte and handed to the connector's verifyWebhook; a request it refuses is answered 400 and nothing else happens. The same provider event delivered again is answered 200 without being processed twice (409 while the first delivery is still being processed).",
    response: { status: 200, description: "The connector's answer to the provider." }, errors: [409, 502],
    handler: async ({ params, query, rawBody, ctx }) => {
      const connectorId = params['connectorId'] ?? '';
      const org = params['orgId'] ?? '';
      if (!CONNECTOR.test(connectorId) || !ORG.test(org)) throw new AppError('NOT_FOUND', 'No such integration.');
      const binding = await deps.integrations.binding(org, connectorId).catch(() => {
        throw new AppError('NOT_FOUND', 'No such integration.');
      });
      const handlers = deps.catalog.get(connectorId, binding.version)?.module?.handlers ?? [];
      if (!handlers.includes('verifyWebhook') || !handlers.includes('handleWebhook')) throw new AppError('NOT_FOUND', 'This connector receives no webhooks.');
      const request = { headers: headersOf(ctx.req.headers), query: { ...query }, rawBody };
      const call = { connectorId, version: binding.version, organizationId: org, credentials: binding.credentials, config: binding.config };
      const verdict = await deps.runtime.invoke({ ...call, cause: { source: 'WEBHOOK' }, kind: 'verifyWebhook', args: [request] }).catch((e: unknown) => {
        throw toProblem(e);
      });
      if (verdict !== true && !(verdict && typeof verdict === 'object' && typeof (verdict as { eventId?: unknown }).eventId === 'string')) {
        throw new AppError('WEBHOOK_VERIFICATION_FAILED', 'The connector could not verify this request; nothing was done.');
      }
      const eventId = verdict === true ? `sha256:${createHash('sha256').update(rawBody).digest('hex')}` : String((verdict as { eventId: string }).eventId).slice(0, 200);
      let failure: FailureReport | undefined;
      try {
        return await knex.transaction(async (trx) => {
          const state = await hold(trx, org, connectorId, eventId);
          if (state === 'done') return { received: true, duplicate: true };
          if (state === 'busy') throw new AppError('WEBHOOK_IN_PROGRESS', 'This event is being processed; try again later.');
          const answer = (await deps.runtime.invoke({ ...call, cause: { source: 'WEBHOOK', causationId: `${connectorId}:${eventId}` }, kind: 'handleWebhook', args: [request], transaction: trx })) as { status?: number; body?: unknown } | null;
          await trx('connector_webhook_receipts').insert({ organization_id: org, connector_id: connectorId, provider_event_id: eventId, status: 'DONE', processed_at: trx.fn.now() });
          // Always 200 (the one documented success): every provider takes any 2xx as delivered.
          return answer?.body ?? { received: true };
        });
      } catch (error) {
        failure = (error as { report?: FailureReport }).report;
        throw error instanceof AppError ? error : toProblem(error);
      } finally {
        // Counted once the transaction has ended: the count must not roll back with the handler's changes.
        if (failure) await deps.runtime.recordFailure(failure);
      }
    },
  });
}
