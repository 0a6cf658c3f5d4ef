import type { ErrorObject, ValidateFunction } from 'ajv';
import { validators, queryValidators } from '@uah/schemas';
import { AppError, type FieldError } from './errors.js';
import type { SchemaName } from './route.js';

type Where = 'body' | 'query';

export function validatorFor(name: SchemaName, where: Where): ValidateFunction {
  const table = (where === 'query' ? queryValidators : validators) as unknown as Record<string, ValidateFunction | undefined>;
  const validate = table[name];
  if (!validate) throw new Error(`no ${where} validator for schema ${name}`);
  return validate;
}

/** Validates (and, for queries, coerces and defaults) `value` in place; throws a 400 naming each failing field. */
export function validateInput(name: SchemaName, where: Where, value: unknown): void {
  const validate = validatorFor(name, where);
  if (validate(value)) return;
  const errors = toFieldErrors(validate.errors ?? [], where);
  throw new AppError('VALIDATION_FAILED', describe(errors, where), { errors });
}

function describe(errors: FieldError[], where: Where): string {
  const unknown = errors.filter((e) => e.message.startsWith('unknown field'));
  if (unknown.length > 0 && unknown.length === errors.length) {
    return `Unknown ${where === 'query' ? 'query parameter' : 'field'}${unknown.length > 1 ? 's' : ''}: ${unknown.map((e) => e.field.slice(1)).join(', ')}.`;
  }
  return `The request ${where} has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.field || '(root)'} ${e.message}`).join('; ')}.`;
}

/** Turns ajv's errors into one error per field, in plain words; alternatives (`anyOf`) become one line. */
export function toFieldErrors(raw: ErrorObject[], where: Where): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const anyOfPaths = new Set(raw.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath));
  for (const error of raw) {
    const insideAnyOf = [...anyOfPaths].some((p) => error.schemaPath.startsWith(p + '/'));
    if (insideAnyOf) continue;
    let field = error.instancePath;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      field = `${error.instancePath}/${String((error.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'unknown field';
    } else if (error.keyword === 'required') {
      field = `${error.instancePath}/${String((error.params as { missingProperty: string }).missingProperty)}`;
      message = 'is required';
    } else if (error.keyword === 'anyOf') {
      const options = raw
        .filter((e) => e.keyword === 'required' && e.schemaPath.startsWith(error.schemaPath + '/'))
        .map((e) => String((e.params as { missingProperty: string }).missingProperty));
      if (options.length > 0) message = `needs at least one of: ${options.join(', ')}`;
      else message = 'does not match any allowed shape';
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      message = allowed.length <= 12 ? `must be one of: ${allowed.join(', ')}` : 'is not an allowed value';
    }
    const key = `${field}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, in: where, message });
  }
  return out;
}
