import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { customizeValidator } from '@rjsf/validator-ajv8';

type Options = NonNullable<Parameters<typeof customizeValidator>[0]>;
type AjvLike = Parameters<NonNullable<Options['extenderFn']>>[0];
const addFormats = addFormatsModule as unknown as (ajv: AjvLike) => AjvLike;

/**
 * The validator the generated forms use, set up exactly as the hub checks a manifest's schemas
 * (hub/src/connectors/manifest-schemas.ts): JSON Schema 2020-12, every error, strict mode off, the
 * formats of ajv-formats 3. The form draws the same `oneOf`/`if` branches and defaults the API will
 * judge by, and the API's answer is what is shown next to the fields.
 */
export const formValidator = customizeValidator({
  AjvClass: Ajv2020 as unknown as NonNullable<Options['AjvClass']>,
  ajvOptionsOverrides: { allErrors: true, strict: false },
  ajvFormatOptions: false,
  extenderFn: addFormats,
});
