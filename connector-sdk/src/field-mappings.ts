/**
 * Field mappings as an organization configures them per data type (`fieldMappings` of the sync config:
 * our field → the provider's field, a dotted path into the provider's record), applied over the
 * connector's own defaults.
 */

/**
 * The value at a dotted path (`PrimaryEmailAddr.Address`, `Line.0.Amount`), `undefined` when any step is missing.
 *
 * @example
 * ```ts
 * valueAt({ PrimaryEmailAddr: { Address: 'a@b.test' } }, 'PrimaryEmailAddr.Address'); // 'a@b.test'
 * ```
 */
export function valueAt(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const step of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

/**
 * Our fields read from a provider's record: the connector's `defaults` (our field → provider path) with
 * the organization's `mappings` laid over them (a mapping to an empty string drops that field). Fields
 * whose path finds nothing are left out, so a patch built from them changes only what the provider holds.
 *
 * @example
 * ```ts
 * const fields = mapFields(remote, { displayName: 'DisplayName', email: 'PrimaryEmailAddr.Address' }, job.fieldMappings);
 * // with job.fieldMappings = { email: 'Notes' } → { displayName: 'Acme', email: '<remote.Notes>' }
 * ```
 */
export function mapFields(record: unknown, defaults: Readonly<Record<string, string>>, mappings: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [ours, path] of Object.entries({ ...defaults, ...mappings })) {
    if (!path) continue;
    const value = valueAt(record, path);
    if (value !== undefined) out[ours] = value;
  }
  return out;
}
