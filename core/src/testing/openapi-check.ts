import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Checks responses against the OpenAPI document the hub serves: the operation is looked up by method
 * and path template, and the body must match the documented schema for its status.
 */
export function createResponseChecker(document: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi');
  const paths = Object.keys(document['paths'] as Record<string, unknown>).map((template) => ({
    template,
    regex: new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
  }));
  const cache = new Map<string, ValidateFunction | null>();

  function validatorFor(method: string, path: string, status: number, contentType: string): ValidateFunction | null | 'undocumented' {
    const match = paths.find((p) => p.regex.test(path));
    if (!match) return 'undocumented';
    const operation = (document['paths'] as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>)[match.template]?.[method.toLowerCase()];
    if (!operation) return 'undocumented';
    const statusKey = operation.responses[String(status)] ? String(status) : 'default';
    const response = operation.responses[statusKey];
    if (!response) return 'undocumented';
    const media = contentType.split(';')[0]?.trim() ?? '';
    if (!response.content?.[media]) return response.content ? 'undocumented' : null;
    // Bodies that are not JSON (PDF, text exports, metrics) are checked for their documented type only.
    if (!/json/.test(media)) return null;
    const pointer = ['paths', match.template, method.toLowerCase(), 'responses', statusKey, 'content', media, 'schema']
      .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const key = `openapi#/${pointer}`;
    if (!cache.has(key)) cache.set(key, ajv.getSchema(key) ?? null);
    return cache.get(key) ?? null;
  }

  return function checkResponse(method: string, path: string, status: number, contentType: string, body: unknown): void {
    let validate = validatorFor(method, path.split('?')[0] ?? path, status, contentType);
    // A path or method that does not exist still answers with a documented problem.
    if (validate === 'undocumented' && status >= 400 && contentType.startsWith('application/problem+json')) validate = ajv.getSchema('openapi#/components/schemas/Problem') ?? null;
    if (validate === 'undocumented') throw new Error(`${method} ${path} → ${status} ${contentType}: not documented in the OpenAPI document`);
    if (validate && !validate(body)) {
      throw new Error(`${method} ${path} → ${status}: body does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    }
  };
}
