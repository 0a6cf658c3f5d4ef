import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AppError } from '@uah/core';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
// Manifest schemas are the connector's: strict mode off so an unknown keyword does not break a load.
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
const compiled = new WeakMap<object, ValidateFunction>();

function fieldOf(error: ErrorObject, prefix: string): { field: string; in: 'body'; message: string } {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required') return { field: `${prefix}${error.instancePath}/${String(params.missingProperty)}`, in: 'body', message: 'is required' };
  if (error.keyword === 'additionalProperties') return { field: `${prefix}${error.instancePath}/${String(params.additionalProperty)}`, in: 'body', message: 'unknown field' };
  return { field: `${prefix}${error.instancePath}`, in: 'body', message: error.message ?? 'is invalid' };
}

/**
 * Checks values against a manifest's JSON Schemas (credentials, config, an action's input);
 * a 400 naming each failing field under `prefix` (`/credentials`, `/config`, or `` for an action body).
 * Messages name fields only, never the values, which may be secrets.
 */
export function checkAgainst(...checks: Array<[schema: object, value: unknown, prefix: string]>): void {
  const errors = checks.flatMap(([schema, value, prefix]) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => fieldOf(e, prefix));
  });
  if (errors.length === 0) return;
  throw new AppError('VALIDATION_FAILED', `${errors.length} field${errors.length === 1 ? '' : 's'} do not match the connector's schema: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, { errors });
}
