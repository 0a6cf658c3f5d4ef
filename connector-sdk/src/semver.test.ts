import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions, parseRange, parseVersion, satisfies } from './semver.js';

describe('satisfies', () => {
  const cases: Array<[string, string, boolean]> = [
    ['0.1.0', '^0.1.0', true],
    ['0.1.9', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.9.9', '^1.2.3', true],
    ['1.2.2', '^1.2.3', false],
    ['2.0.0', '^1.2.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '=1.2.3', false],
    ['3.0.0', '>=1.0.0', true],
    ['1.0.0', '>1.0.0', false],
    ['1.5.0', '>=1.2.0 <2.0.0', true],
    ['2.0.0', '>=1.2.0 <2.0.0', false],
    ['2.0.0', '<=2.0.0', true],
    ['0.1.0', '^1.0.0 || ^0.1.0', true],
    ['0.3.0', '^1.0.0 || ^0.1.0', false],
    ['9.9.9', '*', true],
    // npm's prerelease rule: only a comparator naming the same release lets a prerelease in.
    ['2.0.0-rc.1', '^1.0.0', false],
    ['2.0.0-rc.1', '>=1.0.0', false],
    ['2.0.0-rc.2', '>=2.0.0-rc.1', true],
    ['2.0.0-rc.1', '*', false],
    // build metadata has no precedence
    ['1.2.3+build.9', '1.2.3', true],
    // nonsense satisfies nothing
    ['1.2', '^1.0.0', false],
    ['1.2.3', '^1.2', false],
    ['1.2.3', '', false],
  ];
  it.each(cases)('%s against %s is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });
});

describe('compareVersions', () => {
  it('orders by semver 2.0 precedence, prereleases included', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0'];
    const shuffled = [...ordered].reverse();
    const sorted = shuffled.sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
    expect(sorted).toEqual(ordered);
  });

  it('refuses what is not a full version', () => {
    for (const bad of ['1', '1.2', '01.2.3', '1.2.3-', 'v1.2.3', '1.2.3.4', `${Number.MAX_SAFE_INTEGER}9.0.0`]) expect(parseVersion(bad), bad).toBeUndefined();
  });
});

describe('the manifest schema pattern for `sdk` and parseRange agree', () => {
  const manifestSchema = JSON.parse(readFileSync(new URL('../../schemas/connector/manifest.json', import.meta.url), 'utf8')) as { properties: { sdk: { pattern: string } } };
  const pattern = new RegExp(manifestSchema.properties.sdk.pattern, 'u');
  const ranges = ['^0.1.0', '~1.2.3', '>=1.0.0 <2.0.0', '1.2.3', '=1.2.3', '*', '^1.0.0 || ^2.0.0', ' ^1.0.0 ', '^1.0.0-beta.1', '^1.2', '1.x', '>= 1.0.0', '^1.0.0 ||', '1.0.0 - 2.0.0', 'latest', '', '^1.0.0+build', '^01.0.0'];
  it.each(ranges)('%j', (range) => {
    expect(pattern.test(range)).toBe(parseRange(range) !== undefined);
  });
});
