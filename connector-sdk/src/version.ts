/**
 * The version of this SDK. A connector's manifest names the SDK versions it supports in `sdk`
 * (e.g. `^0.1.0`); the hub refuses to load a connector whose range this version does not satisfy.
 * Kept equal to `version` in connector-sdk/package.json (a test checks it).
 *
 * @example
 * ```ts
 * import { SDK_VERSION, satisfies } from '@uah/connector-sdk';
 * satisfies(SDK_VERSION, '^0.1.0'); // true
 * ```
 */
export const SDK_VERSION = '0.1.0';
