import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { XeroEmulator } from './emulator.js';

/**
 * Xero's Accounting OpenAPI description (shared/fixtures/providers/xero/xero_accounting.yaml) as ajv
 * validators of its component schemas, so a test checks what the connector sends and what the emulator
 * answers against it. OpenAPI 3.0's `nullable` is understood by ajv; its number formats (`double`, `int`)
 * and file formats are accepted as they come.
 */
const FILE = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'providers', 'xero', 'xero_accounting.yaml');

export interface XeroSchemas {
  /** Problems of `value` against `#/components/schemas/<name>`, empty when it conforms. */
  problems(name: string, value: unknown): string[];
}

export function loadXeroSchemas(): XeroSchemas {
  const document = parse(readFileSync(FILE, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const format of ['double', 'int', 'binary', 'byte']) ajv.addFormat(format, true);
  ajv.addSchema({ $id: 'xero', components: document.components });
  const compiled = new Map<string, ValidateFunction>();
  return {
    problems(name, value) {
      let validate = compiled.get(name);
      if (!validate) {
        validate = ajv.getSchema(`xero#/components/schemas/${name}`);
        if (!validate) throw new Error(`no schema ${name} in Xero's description`);
        compiled.set(name, validate);
      }
      return validate(value) ? [] : (validate.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message ?? ''}`);
    },
  };
}

/** What the connector sent and what Xero answered, against Xero's OpenAPI schemas. */
export function schemaProblems(requests: XeroEmulator['requests'], check: XeroSchemas): string[] {
  return requests.flatMap((r) => {
    const collection = r.path.split('/')[1] ?? '';
    const name = r.path.endsWith('/Allocations') ? 'Allocations' : collection;
    const sent = r.body === undefined ? [] : check.problems(name, r.body);
    const answered = r.status === 200 ? check.problems(name, r.answer) : r.status === 400 ? check.problems('Error', r.answer) : [];
    return [...sent, ...answered].map((p) => `${r.method} ${r.path}: ${p}`);
  });
}
