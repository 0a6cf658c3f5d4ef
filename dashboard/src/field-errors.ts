import type { FieldError } from '@uah/client/portable';
import type { ErrorSchema } from '@rjsf/utils';

/**
 * The API's failing fields (JSON Pointers into the body, `/credentials/apiKey`) as the form library's
 * error tree, so each message shows next to its field. A pointer to a field the form does not draw
 * (an unknown one) lands on the nearest parent that it does.
 */
export function errorSchemaOf(errors: FieldError[], drawn: (path: string[]) => boolean): ErrorSchema {
  const root: Record<string, unknown> = {};
  for (const error of errors) {
    if (error.in && error.in !== 'body') continue;
    const path = error.field.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    while (path.length > 0 && !drawn(path)) path.pop();
    let node = root;
    for (const part of path) node = (node[part] ??= {}) as Record<string, unknown>;
    ((node['__errors'] ??= []) as string[]).push(error.message);
  }
  return root as ErrorSchema;
}
