import { components } from '@uah/schemas';
import { ERRORS } from './errors.js';
import type { Route } from './route.js';

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

function pathOf(route: Route): string {
  return route.path.replace(/:([A-Za-z]+)/g, '{$1}');
}

function parameters(route: Route): unknown[] {
  const params: unknown[] = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', maxLength: 64 } }));
  if (route.query) {
    const schema = components[route.query] as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property, ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}) });
    }
  }
  if (route.dryRun) params.push({ name: 'dryRun', in: 'query', required: false, schema: { type: 'boolean', default: false }, description: 'Validate and return what would be written, without writing anything.' });
  if (route.method === 'POST') params.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'A retry with the same key and body returns the first response.' });
  return params;
}

function mediaSchema(contentType: string): Record<string, unknown> {
  if (contentType === 'application/json') return { type: 'object' };
  return { type: 'string', ...(contentType === 'application/pdf' ? { contentMediaType: 'application/pdf' } : {}) };
}

function successResponse(route: Route): Record<string, unknown> {
  const r = route.response;
  const description = r.description ?? 'Success';
  const content: Record<string, { schema: unknown }> = {};
  if (r.contentType) content[r.contentType] = { schema: mediaSchema(r.contentType) };
  else if (r.list) {
    const schema = { type: 'object', required: ['data', 'nextCursor'], properties: { data: { type: 'array', items: ref(r.list) }, nextCursor: { type: ['string', 'null'] } } };
    content['application/json'] = { schema };
  } else if (r.schema) content['application/json'] = { schema: ref(r.schema) };
  for (const other of r.alsoContentTypes ?? []) content[other] = { schema: mediaSchema(other) };
  return Object.keys(content).length > 0 ? { description, content } : { description };
}

function redirectResponse(route: Route): Record<string, unknown> {
  const redirect = route.response.redirect;
  if (!redirect) return {};
  return { [String(redirect.status)]: { description: redirect.description, headers: { Location: { description: 'Where to go next.', schema: { type: 'string', format: 'uri' } } } } };
}

function errorResponses(route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const statuses = new Set<number>([...(route.errors ?? [])]);
  if (route.auth !== 'none') [401, 429].forEach((s) => statuses.add(s));
  if ((route.auth ?? 'apiKey') !== 'none' && route.auth !== 'admin') statuses.add(403);
  if (route.path.includes(':')) statuses.add(404);
  if (route.body || route.query) statuses.add(400);
  if (route.body) [413, 415].forEach((s) => statuses.add(s));
  if (route.method === 'POST') statuses.add(409);
  for (const status of [...statuses].sort()) {
    const titles = Object.values(ERRORS).filter((e) => e.status === status).map((e) => e.title);
    out[String(status)] = problem(titles.join('; ') || 'Error');
  }
  out['default'] = problem('Unexpected error');
  return out;
}

/** The OpenAPI 3.1 document: every route of the table, with the schemas of schemas/ as components. */
export function buildOpenApi(routes: Route[], info: { title: string; version: string; description?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      parameters: parameters(route),
      responses: { [String(route.response.status)]: successResponse(route), ...redirectResponse(route), ...errorResponses(route) },
      // A key is sent as a bearer token, or through the session cookie the dashboard made from it.
      security: route.auth === 'none' ? [] : route.auth === 'admin' ? [{ adminToken: [] }] : route.auth === 'apiKeyOrAdmin' ? [{ apiKey: [] }, { sessionCookie: [] }, { adminToken: [] }] : [{ apiKey: [] }, { sessionCookie: [] }],
    };
    if (route.body) operation['requestBody'] = { required: true, content: { 'application/json': { schema: ref(route.body) } } };
    (paths[pathOf(route)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of the organization (`uah_sk_…`).' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The hub admin token (HUB_ADMIN_TOKEN).' },
        sessionCookie: {
          type: 'apiKey', in: 'cookie', name: 'uah_session',
          description: 'A dashboard session (`POST /v1/sessions`), acting as the key it was made from. Requests other than GET also need its CSRF token in the `X-CSRF-Token` header.',
        },
      },
    },
  };
}
