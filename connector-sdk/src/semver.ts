/**
 * The small part of semantic versioning the hub needs to check a connector's `sdk` range: semver 2.0
 * versions and npm-style ranges built from `^`, `~`, `>=`, `>`, `<=`, `<`, `=` (or a bare version),
 * spaces (and) and `||` (or), and `*`. Partial versions (`^1.2`, `1.x`) and hyphen ranges are not
 * accepted, so the manifest schema's `sdk` pattern and this parser agree on every string.
 * Written here rather than depending on `semver`: the SDK depends on @uah/schemas only.
 */

/**
 * A parsed semver 2.0 version. Build metadata is dropped: it has no precedence.
 *
 * @example
 * ```ts
 * const v: SemVer = { major: 1, minor: 2, patch: 3, prerelease: ['beta', 1] }; // 1.2.3-beta.1
 * ```
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: Array<string | number>;
}

type Operator = '<' | '<=' | '>' | '>=' | '=';

/**
 * One condition of a range, after `^` and `~` are expanded into their bounds.
 *
 * @example
 * ```ts
 * const atLeast: Comparator = { op: '>=', version: parseVersion('1.2.3')! };
 * ```
 */
export interface Comparator {
  op: Operator;
  version: SemVer;
}

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const COMPARATOR = /^(\^|~|>=|<=|>|<|=)?(.+)$/;

/**
 * Parses a semver 2.0 version (`1.2.3`, `1.2.3-rc.1`, `1.2.3+build.5`); `undefined` if it is not one.
 *
 * @example
 * ```ts
 * parseVersion('1.2.3-rc.1'); // { major: 1, minor: 2, patch: 3, prerelease: ['rc', 1] }
 * parseVersion('1.2');        // undefined
 * ```
 */
export function parseVersion(text: string): SemVer | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = match[4] === undefined ? [] : match[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id));
  return { major, minor, patch, prerelease };
}

/**
 * Orders two versions by semver precedence: -1 if `a` comes first, 1 if `b` does, 0 if equal.
 * A prerelease comes before its release (`1.0.0-rc.1` < `1.0.0`).
 *
 * @example
 * ```ts
 * compareVersions(parseVersion('1.10.0')!, parseVersion('1.9.3')!); // 1
 * ```
 */
export function compareVersions(a: SemVer, b: SemVer): -1 | 0 | 1 {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    // Numeric identifiers sort before alphanumeric ones (semver 2.0, §11.4.3).
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function expand(token: string): Comparator[] | undefined {
  const match = COMPARATOR.exec(token);
  const version = match?.[2] === undefined ? undefined : parseVersion(match[2]);
  if (!match || !version || match[2]?.includes('+')) return undefined;
  const { major, minor, patch } = version;
  const at = (maj: number, min: number, pat: number): SemVer => ({ major: maj, minor: min, patch: pat, prerelease: [] });
  switch (match[1]) {
    case '^': {
      // The left-most non-zero part may not change: ^1.2.3 <2.0.0, ^0.2.3 <0.3.0, ^0.0.3 <0.0.4.
      const upper = major > 0 ? at(major + 1, 0, 0) : minor > 0 ? at(0, minor + 1, 0) : at(0, 0, patch + 1);
      return [{ op: '>=', version }, { op: '<', version: upper }];
    }
    case '~':
      return [{ op: '>=', version }, { op: '<', version: at(major, minor + 1, 0) }];
    case undefined:
    case '=':
      return [{ op: '=', version }];
    default:
      return [{ op: match[1] as Operator, version }];
  }
}

/**
 * Parses a range into its alternatives (`||`), each a list of comparators that must all hold; `*`
 * is an empty list (any release). `undefined` if the range is not one this module understands.
 *
 * @example
 * ```ts
 * parseRange('^1.2.3 || >=2.1.0 <3.0.0')?.length; // 2
 * parseRange('1.x');                               // undefined
 * ```
 */
export function parseRange(range: string): Comparator[][] | undefined {
  const sets: Comparator[][] = [];
  for (const alternative of range.split('||')) {
    const tokens = alternative.trim().split(/ +/);
    if (tokens.length === 1 && tokens[0] === '*') {
      sets.push([]);
      continue;
    }
    const set: Comparator[] = [];
    for (const token of tokens) {
      const comparators = expand(token);
      if (!comparators) return undefined;
      set.push(...comparators);
    }
    sets.push(set);
  }
  return sets;
}

function holds(version: SemVer, { op, version: bound }: Comparator): boolean {
  const order = compareVersions(version, bound);
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
  }
}

/**
 * Whether `version` satisfies `range`, with npm's rule for prereleases: `1.3.0-beta.1` satisfies a
 * range only if one of its comparators names a prerelease of 1.3.0 itself, so `^1.2.0` never picks
 * up a prerelease by accident. An invalid version or range satisfies nothing.
 *
 * @example
 * ```ts
 * satisfies('0.1.4', '^0.1.0');          // true
 * satisfies('0.2.0', '^0.1.0');          // false: 0.x minors are breaking
 * satisfies('1.4.0', '>=1.2.0 <2.0.0');  // true
 * satisfies('2.0.0-rc.1', '^1.0.0');     // false
 * ```
 */
export function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  const sets = parseRange(range);
  if (!parsed || !sets) return false;
  return sets.some((set) => {
    if (!set.every((comparator) => holds(parsed, comparator))) return false;
    if (parsed.prerelease.length === 0) return true;
    return set.some(({ version: v }) => v.prerelease.length > 0 && v.major === parsed.major && v.minor === parsed.minor && v.patch === parsed.patch);
  });
}
