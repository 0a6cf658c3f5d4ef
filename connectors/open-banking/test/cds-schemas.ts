import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

/** The official CDR Banking API description (OpenAPI 3.0.3) the emulator is written from. */
export const CDS_BANKING = process.env['CDS_BANKING_SPEC'] ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/providers/open-banking-au-cdr/cds_banking.json');

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>;
  components: { schemas: Record<string, unknown> };
}
export const spec = JSON.parse(readFileSync(CDS_BANKING, 'utf8')) as Spec;

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
// OpenAPI 3.0 schemas carry vendor keywords (x-cds-type, x-conditional): not validation keywords.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'cds', components: spec.components });

/** The schema name a documented answer of an operation refers to, e.g. ResponseBankingTransactionListV2. */
export function responseSchemaOf(method: string, path: string, status: number): string {
  const ref = spec.paths[path]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema.$ref;
  if (!ref) throw new Error(`${method} ${path} documents no JSON answer ${status}`);
  return ref.replace('#/components/schemas/', '');
}

/** The problems of `value` against a schema of the description (empty when it conforms). */
export function problemsOf(schema: string, value: unknown): string[] {
  const validate = ajv.getSchema(`cds#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema} in the description`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
