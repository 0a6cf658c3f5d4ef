import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** Asana's own OpenAPI description (Asana/openapi, defs/asana_oas.yaml): what the emulator and the connector are checked against. */
export const ASANA_OAS = process.env['ASANA_OAS'] ?? '/work/shared/fixtures/providers/asana/asana_oas.yaml';

type Schema = { $ref?: string; allOf?: Schema[]; properties?: Record<string, Schema & { readOnly?: boolean }> };
interface Oas {
  paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * OpenAPI 3.0's `nullable: true` in JSON Schema terms: `type: [t, 'null']`, or (beside a `$ref`/`allOf`
 * without a type) `anyOf: [schema, { type: 'null' }]`. Everything else is left as written.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, k === 'example' || k === 'examples' ? v : toJsonSchema(v)]));
  if (nullable !== true) return out;
  if (typeof out['type'] === 'string') return { ...out, type: [out['type'], 'null'], ...(Array.isArray(out['enum']) ? { enum: [...(out['enum'] as unknown[]), null] } : {}) };
  return { anyOf: [out, { type: 'null' }] };
}

let loaded: { doc: Oas; ajv: Ajv } | undefined;
function load(): { doc: Oas; ajv: Ajv } {
  if (loaded) return loaded;
  const doc = parse(readFileSync(ASANA_OAS, 'utf8')) as Oas;
  // OpenAPI 3.0 schemas: `nullable` is understood by ajv; examples and vendor keys are not validation keywords.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema(toJsonSchema(doc) as object, 'asana');
  loaded = { doc, ajv };
  return loaded;
}

const pointer = (...parts: string[]): string => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let v = validators.get(ref);
  if (!v) {
    const found = load().ajv.getSchema(ref);
    if (!found) throw new Error(`no schema at ${ref}`);
    validators.set(ref, (v = found));
  }
  return v;
}

function operation(path: string, method: string) {
  const op = load().doc.paths[path]?.[method];
  if (!op) throw new Error(`the description has no ${method.toUpperCase()} ${path}`);
  return op;
}

/** Problems of a response body for an operation and status (empty when it validates). */
export function responseProblems(path: string, method: string, status: number, body: unknown): string[] {
  const op = operation(path, method);
  const declared = op.responses[String(status)] as { $ref?: string } | undefined;
  if (!declared) return [`${method.toUpperCase()} ${path} declares no ${status} response`];
  const ref = declared.$ref
    ? `asana${declared.$ref}/content/application~1json/schema`
    : `asana#/${pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema')}`;
  const v = validator(ref);
  return v(body) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

function propertiesOf(schema: Schema): Record<string, Schema & { readOnly?: boolean }> {
  const { components } = load().doc;
  const resolved = schema.$ref ? components.schemas[schema.$ref.split('/').pop() ?? ''] ?? {} : schema;
  return Object.assign({}, ...(resolved.allOf ?? []).map(propertiesOf), resolved.properties ?? {});
}

/**
 * Problems of a request body: it validates against the operation's schema, and its `data` holds only
 * properties the description declares for the request, none of them read-only.
 */
export function requestProblems(path: string, method: string, body: unknown): string[] {
  const v = validator(`asana#/${pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema')}`);
  const problems = v(body) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  const schema = (operation(path, method).requestBody as { content: Record<string, { schema: { properties: { data: Schema } } }> }).content['application/json']!.schema.properties.data;
  const declared = propertiesOf(schema);
  for (const key of Object.keys((body as { data?: object }).data ?? {})) {
    if (!declared[key]) problems.push(`/data/${key} is not a property of the request`);
    else if (declared[key]?.readOnly) problems.push(`/data/${key} is read-only`);
  }
  return problems;
}
