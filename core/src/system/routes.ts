import type { Knex } from 'knex';
import { AppError } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import type { HttpMetrics } from '../http/metrics.js';
import type { Bus } from '../events/bus.js';

/** Health, readiness, metrics and the API description: routes like the others, so they are documented too. */
export function createSystemRoutes(deps: { knex: Knex; bus: Bus; metrics: HttpMetrics; openapi: () => Record<string, unknown> }): Route[] {
  return [
    defineRoute({
      method: 'GET', path: '/health', operationId: 'health', tag: 'System', auth: 'none', summary: 'Liveness',
      response: { status: 200, schema: 'HealthStatus' },
      handler: async () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET', path: '/ready', operationId: 'ready', tag: 'System', auth: 'none', summary: 'Readiness: database and event bus',
      response: { status: 200, schema: 'HealthStatus' }, errors: [503],
      handler: async () => {
        const checks: Record<string, string> = {};
        await deps.knex.raw('SELECT 1').then(() => (checks['database'] = 'ok'), () => (checks['database'] = 'unavailable'));
        await deps.bus.check().then(() => (checks['bus'] = 'ok'), () => (checks['bus'] = 'unavailable'));
        const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
        if (failing.length > 0) throw new AppError('SERVICE_UNAVAILABLE', `Not ready: ${failing.join(', ')} unavailable.`);
        return { status: 'ok', checks };
      },
    }),
    defineRoute({
      method: 'GET', path: '/metrics', operationId: 'metrics', tag: 'System', auth: 'none', summary: 'Prometheus metrics',
      response: { status: 200, contentType: 'text/plain' },
      handler: async ({ ctx }) => {
        ctx.type = deps.metrics.registry.contentType;
        ctx.body = await deps.metrics.registry.metrics();
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/openapi.json', operationId: 'openapi', tag: 'System', auth: 'none', summary: 'This API, as OpenAPI 3.1',
      response: { status: 200, contentType: 'application/json' },
      handler: async () => deps.openapi(),
    }),
  ];
}
