import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** PayPal's own OpenAPI 3.0 descriptions (see ../shared/fixtures/providers/README.md). */
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/providers/paypal/', import.meta.url));
export type PayPalApi = 'checkout_orders_v2' | 'payments_payment_v2' | 'notifications_webhooks_v1';

/**
 * Validators for PayPal's component schemas. OpenAPI 3.0 is not plain JSON Schema: `nullable` is
 * understood by ajv itself, and the descriptive keywords (`example`, `readOnly`, `discriminator`,
 * `xml`, `deprecated`) and PayPal's own formats (`ppaas_…`) are left alone with `strict: false`. Each file is added under its own `$id`, so
 * its `#/components/schemas/...` references resolve inside it.
 */
// PayPal's patterns are ECMAScript without the `u` flag (its e-mail pattern is invalid in unicode mode).
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, logger: false });
addFormats.default(ajv);
for (const api of ['checkout_orders_v2', 'payments_payment_v2', 'notifications_webhooks_v1'] as const) {
  const doc = JSON.parse(readFileSync(`${FIXTURES}${api}.json`, 'utf8')) as { components: unknown };
  ajv.addSchema({ $id: api, components: doc.components });
}

const cache = new Map<string, ValidateFunction>();

/** What is wrong with `value` as PayPal's schema `schema` of `api` (an empty list when it conforms). */
export function schemaProblems(api: PayPalApi, schema: string, value: unknown): string[] {
  const key = `${api}#/components/schemas/${schema}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.getSchema(key);
    if (!validate) throw new Error(`no schema ${key}`);
    cache.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${schema}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
