import { readFileSync } from 'node:fs';

/** The schemas as OpenAPI 3.1 components (`#/components/schemas/<Title>`), generated from schemas/. */
export const components: Record<string, Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('./generated/components.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, unknown>>;
