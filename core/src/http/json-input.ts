import { AppError } from './errors.js';

/**
 * Structural limits on JSON from outside (request bodies, and the provider and connector payloads the hub
 * parses). They are checked on the raw text in one linear pass before it is parsed, so a hostile body is
 * refused before it costs a parse: a megabyte of `[` takes a JSON parser seconds and a recursive walk its
 * stack. Everything that walks parsed input afterwards does so without recursion.
 */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Most members in one object. */
  maxKeys: number;
  /** Most items in one array. */
  maxItems: number;
}

export const JSON_LIMITS: JsonLimits = { maxDepth: 32, maxKeys: 1000, maxItems: 10_000 };

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function exceeded(detail: string): AppError {
  return new AppError('JSON_LIMIT_EXCEEDED', detail);
}

/**
 * Refuses JSON text that nests deeper, or holds more members or items in one container, than `limits`
 * allow (400 `JSON_LIMIT_EXCEEDED`, naming the limit). Syntax is left to the parser: text this pass lets
 * through may still be invalid JSON.
 */
export function checkJsonLimits(text: string, limits: JsonLimits = JSON_LIMITS): void {
  // Per open container: whether it is an object, and how many separators it has seen.
  const isObject: boolean[] = [];
  const commas: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (isObject.length >= limits.maxDepth) throw exceeded(`JSON is accepted nested at most ${limits.maxDepth} levels deep; this one nests deeper.`);
      isObject.push(c === OPEN_OBJECT);
      commas.push(0);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      isObject.pop();
      commas.pop();
    } else if (c === COMMA && commas.length > 0) {
      const top = commas.length - 1;
      const count = (commas[top] ?? 0) + 1;
      commas[top] = count;
      const object = isObject[top] ?? false;
      const limit = object ? limits.maxKeys : limits.maxItems;
      if (count + 1 > limit) throw exceeded(object ? `A JSON object may hold at most ${limit} members.` : `A JSON array may hold at most ${limit} items.`);
    }
  }
}

const pointerPart = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The JSON pointer of the first string (value or key) in `value` that contains U+0000, which PostgreSQL
 * text cannot hold; undefined when there is none. Walks with an explicit stack, never recursion.
 */
export function findNulCharacter(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; pointer: string }> = [{ value, pointer: '' }];
  while (stack.length > 0) {
    const { value: item, pointer } = stack.pop() as { value: unknown; pointer: string };
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return pointer;
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push({ value: item[i], pointer: `${pointer}/${i}` });
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        const childPointer = `${pointer}/${pointerPart(key)}`;
        if (key.includes('\u0000')) return childPointer;
        stack.push({ value: child, pointer: childPointer });
      }
    }
  }
  return undefined;
}

/** Refuses a body or query holding a NUL character with 400, naming the field. */
export function refuseNulCharacters(value: unknown, where: 'body' | 'query' = 'body'): void {
  const pointer = findNulCharacter(value);
  if (pointer === undefined) return;
  throw new AppError('VALIDATION_FAILED', `${pointer || `The ${where}`} contains a NUL character.`, { errors: [{ field: pointer, in: where, message: 'must not contain NUL (\\u0000) characters' }] });
}
