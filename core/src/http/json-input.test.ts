import { describe, expect, it } from 'vitest';
import { checkJsonLimits, findNulCharacter } from './json-input.js';

const limits = { maxDepth: 3, maxKeys: 2, maxItems: 3 };

describe('JSON input limits', () => {
  it('counts nesting, members and items outside strings only', () => {
    expect(() => checkJsonLimits('[[[1]]]', limits)).not.toThrow();
    expect(() => checkJsonLimits('[[[[1]]]]', limits)).toThrow(/at most 3 levels/);
    expect(() => checkJsonLimits('{"a":1,"b":2}', limits)).not.toThrow();
    expect(() => checkJsonLimits('{"a":1,"b":2,"c":3}', limits)).toThrow(/at most 2 members/);
    expect(() => checkJsonLimits('[1,2,3]', limits)).not.toThrow();
    expect(() => checkJsonLimits('[1,2,3,4]', limits)).toThrow(/at most 3 items/);
    // Brackets, commas and escaped quotes inside strings are text.
    expect(() => checkJsonLimits('{"a":"[[[[,,,,{{{{","b":"\\"[[[[\\\\"}', limits)).not.toThrow();
    // Counts are per container: siblings do not add up.
    expect(() => checkJsonLimits('[[1,2,3],[1,2,3],[1,2]]', limits)).not.toThrow();
    expect(() => checkJsonLimits('{"a":{"x":1,"y":2},"b":{"x":1,"y":2}}', limits)).not.toThrow();
  });

  it('finds a NUL character at any depth without recursion', () => {
    let deep: unknown = 'a\u0000b';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findNulCharacter(deep)).toBe('/0'.repeat(100_000));
    expect(findNulCharacter({ a: [{ 'k/~\u0000': 1 }] })).toBe('/a/0/k~1~0\u0000');
    expect(findNulCharacter({ a: ['x', { b: 'y' }] })).toBeUndefined();
  });
});
