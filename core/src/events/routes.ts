import { defineRoute, type Route } from '../http/route.js';
import type { EventStore } from './store.js';

export function createEventRoutes(events: EventStore): Route[] {
  return [
    defineRoute({
      method: 'GET', path: '/v1/organizations/:orgId/events', operationId: 'listEvents', tag: 'Events',
      summary: 'Read the event log',
      description: 'Oldest first. Filter with `types` (comma-separated); resume after a known event with `after`, or page with `cursor`.',
      query: 'EventListQuery', response: { status: 200, list: 'Event' },
      handler: ({ organizationId, query }) => events.list(organizationId, query),
    }),
  ];
}
