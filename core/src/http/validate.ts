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

type Alternative = ErrorObject & { keyword: 'anyOf' | 'oneOf' };

const isAlternative = (e: ErrorObject): e is Alternative => e.keyword === 'anyOf' || e.keyword === 'oneOf';
const inside = (e: ErrorObject, alt: ErrorObject): boolean => e !== alt && e.instancePath.startsWith(alt.instancePath) && e.schemaPath.startsWith(alt.schemaPath + '/');

/** One error in plain words. */
function describeError(error: ErrorObject): { field: string; message: string } {
  const params = error.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === 'additionalProperties') return { field: `${error.instancePath}/${String(params.additionalProperty)}`, message: 'unknown field' };
  if (error.keyword === 'required') return { field: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
  if (error.keyword === 'enum') {
    const allowed = params.allowedValues ?? [];
    return { field: error.instancePath, message: allowed.length <= 12 ? `must be one of: ${allowed.join(', ')}` : 'is not an allowed value' };
  }
  return { field: error.instancePath, message: error.message ?? 'is invalid' };
}

/**
 * The errors that explain a failed `anyOf`/`oneOf`: "needs at least one of" when the alternatives only
 * name required fields, else the errors of the alternative that came closest (fewest errors).
 */
function explainAlternative(alt: Alternative, raw: ErrorObject[]): Array<{ field: string; message: string }> {
  const within = raw.filter((e) => inside(e, alt));
  if (within.length === 0) return [{ field: alt.instancePath, message: alt.keyword === 'oneOf' ? 'matches more than one allowed shape' : 'does not match any allowed shape' }];
  if (within.every((e) => e.keyword === 'required' && e.instancePath === alt.instancePath)) {
    const options = within.map((e) => String((e.params as { missingProperty: string }).missingProperty));
    return [{ field: alt.instancePath, message: `needs at least one of: ${options.join(', ')}` }];
  }
  const branches = new Map<string, ErrorObject[]>();
  for (const e of within) {
    const branch = e.schemaPath.slice(alt.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  const closest = [...branches.values()].sort((a, b) => a.length - b.length)[0] ?? [];
  return closest.filter((e) => !isAlternative(e)).map(describeError);
}

/** Turns ajv's errors into one error per field, in plain words; alternatives (`anyOf`, `oneOf`) are explained once. */
export function toFieldErrors(raw: ErrorObject[], where: Where): FieldError[] {
  const alternatives = raw.filter(isAlternative);
  const outermost = alternatives.filter((alt) => !alternatives.some((other) => inside(alt, other)));
  const explained = [
    ...raw.filter((e) => !isAlternative(e) && !alternatives.some((alt) => inside(e, alt))).map(describeError),
    ...outermost.flatMap((alt) => explainAlternative(alt, raw)),
  ];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const { field, message } of explained) {
    const key = `${field}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, in: where, message });
  }
  return out;
}
