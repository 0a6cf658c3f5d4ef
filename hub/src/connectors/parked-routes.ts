import { AppError, defineRoute, type Route } from '@uah/core';
import type { EventRouter } from './event-router.js';
import type { IntegrationService } from './integration-service.js';
import type { ParkedEvents } from './parked-events.js';

const integration = '/v1/organizations/:orgId/integrations/:connectorId';
const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function connector(params: Record<string, string>): string {
  const value = params['connectorId'] ?? '';
  if (value.length > 64 || !ID.test(value)) throw new AppError('NOT_FOUND', 'No such integration.');
  return value;
}

/** An organization's parked events of one integration: listed, and sent back through the connector's queue. */
export function createParkedRoutes(deps: { parked: ParkedEvents; integrations: Pick<IntegrationService, 'get'>; router: () => EventRouter | undefined }): Route[] {
  return [
    defineRoute({
      method: 'GET', path: `${integration}/parked`, operationId: 'listParkedEvents', tag: 'Integrations', summary: 'Events the connector kept failing on (newest first, 100 at most)',
      description: "Each event the connector's handler failed on at every retry, with its last error. Only this organization's events are listed.",
      query: 'EmptyQuery', response: { status: 200, list: 'ParkedEvent' },
      handler: async ({ organizationId, params }) => {
        const connectorId = connector(params);
        await deps.integrations.get(organizationId, connectorId);
        return { data: await deps.parked.list(organizationId, connectorId), nextCursor: null };
      },
    }),
    defineRoute({
      method: 'POST', path: `${integration}/parked/retry`, operationId: 'retryParkedEvents', tag: 'Integrations', summary: 'Send parked events back to the connector', scope: 'admin',
      description: "Sends the named parked events (or all of them, 100 per call) back through the connector's queue and answers 202 with them, now RETRIED; one that fails again at every retry is parked again. 404 when none of the named events is parked for this integration; 409 INTEGRATION_INACTIVE when the integration is disabled.",
      body: 'ParkedEventRetry', response: { status: 202, list: 'ParkedEvent' }, errors: [409, 503],
      handler: async ({ organizationId, params, body }) => {
        const connectorId = connector(params);
        if (!(await deps.integrations.get(organizationId, connectorId)).isActive) throw new AppError('INTEGRATION_INACTIVE', `The integration with ${connectorId} is disabled; enable it before retrying its events.`);
        const router = deps.router();
        if (!router) throw new AppError('SERVICE_UNAVAILABLE', 'Events are not routed to connectors in this process.');
        return { data: await router.retryParked(organizationId, connectorId, body.eventIds), nextCursor: null };
      },
    }),
  ];
}
