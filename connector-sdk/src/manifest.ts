import { validators, type ConnectorManifest, type ManifestObjectSchema } from '@uah/schemas';
import { isAllowedDestination } from './http/destination.js';
import { satisfies } from './semver.js';
import { SDK_VERSION } from './version.js';

/**
 * One thing wrong with a manifest: a JSON Pointer into it (`/dataTypes/0/direction`) and what is wrong.
 *
 * @example
 * ```ts
 * const issue: ManifestIssue = { path: '/category', message: 'must be one of payments, accounting, commerce, banking, projects, other' };
 * ```
 */
export interface ManifestIssue {
  path: string;
  message: string;
}

/**
 * The outcome of {@link validateManifest}: the typed manifest, or every issue found.
 *
 * @example
 * ```ts
 * const result: ManifestValidation = validateManifest(json);
 * if (!result.valid) for (const issue of result.issues) log(issue.path, issue.message);
 * ```
 */
export type ManifestValidation = { valid: true; manifest: ConnectorManifest } | { valid: false; issues: ManifestIssue[] };

/**
 * Thrown by {@link assertValidManifest}; carries every issue.
 *
 * @example
 * ```ts
 * try { assertValidManifest(json); } catch (e) { if (e instanceof ManifestError) report(e.issues); }
 * ```
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(readonly issues: ManifestIssue[]) {
    super(`invalid connector manifest: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
  }
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function toIssue(error: SchemaError): ManifestIssue {
  const path = error.instancePath || '/';
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(error.params['missingProperty'])}`, message: 'is required' };
    case 'additionalProperties':
      return { path, message: `has an unknown property "${String(error.params['additionalProperty'])}"` };
    case 'enum':
      return { path, message: `must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** Properties listed in `required` must exist in `properties`: a typo there makes the schema unsatisfiable. */
function objectSchemaIssues(schema: ManifestObjectSchema, path: string): ManifestIssue[] {
  if (!schema.properties) return [];
  const known = Object.keys(schema.properties);
  return (schema.required ?? []).filter((name) => !known.includes(name)).map((name) => ({ path: `${path}/required`, message: `names "${name}", which is not in properties` }));
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/**
 * `clientId` is required outright, or by one of the `anyOf`/`oneOf` alternatives when the provider also
 * takes a credential of another kind instead of the grant (a personal access token, say).
 */
function requiresClientId(schema: { required?: string[]; anyOf?: unknown; oneOf?: unknown }): boolean {
  if ((schema.required ?? []).includes('clientId')) return true;
  const alternatives = [schema.anyOf, schema.oneOf].filter(Array.isArray).flat() as Array<{ required?: unknown }>;
  return alternatives.some((a) => Array.isArray(a.required) && a.required.includes('clientId'));
}

/**
 * The hub calls the token URL through the connector's HTTP client, so its host (and the authorization
 * URL's, for the same provider) must be allowed; the OAuth client's id is the organization's to give.
 */
function oauth2Issues(manifest: ConnectorManifest, oauth2: NonNullable<ConnectorManifest['auth']['oauth2']>): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const key of ['authorizationUrl', 'tokenUrl'] as const) {
    const url = oauth2[key];
    if (!URL.canParse(url) || !isAllowedDestination(url, manifest.allowedHosts ?? [])) issues.push({ path: `/auth/oauth2/${key}`, message: "must be an http(s) URL whose host is in allowedHosts" });
  }
  const credentials = manifest.credentialsSchema;
  if (!credentials.properties?.['clientId'] || !requiresClientId(credentials)) {
    issues.push({ path: '/credentialsSchema', message: 'must declare and require "clientId" (and declare "clientSecret" unless the OAuth client is public): each organization gives its OAuth client' });
  }
  return issues;
}

function semanticIssues(manifest: ConnectorManifest, sdkVersion: string): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  if (!satisfies(sdkVersion, manifest.sdk)) {
    issues.push({ path: '/sdk', message: `"${manifest.sdk}" does not accept this SDK (${sdkVersion}): the connector needs another SDK version` });
  }
  for (const type of duplicates(manifest.dataTypes.map((d) => d.type))) issues.push({ path: '/dataTypes', message: `declares "${type}" twice` });
  for (const name of duplicates(manifest.actions.map((a) => a.name))) issues.push({ path: '/actions', message: `declares "${name}" twice` });
  if (manifest.auth.oauth2 && manifest.auth.type !== 'oauth2') issues.push({ path: '/auth/oauth2', message: 'is only allowed when auth.type is oauth2' });
  if (manifest.auth.apiKey && manifest.auth.type !== 'api_key') issues.push({ path: '/auth/apiKey', message: 'is only allowed when auth.type is api_key' });
  if (manifest.auth.type === 'oauth2' && manifest.auth.oauth2) issues.push(...oauth2Issues(manifest, manifest.auth.oauth2));
  issues.push(...objectSchemaIssues(manifest.credentialsSchema, '/credentialsSchema'), ...objectSchemaIssues(manifest.configSchema, '/configSchema'));
  manifest.actions.forEach((action, i) => issues.push(...objectSchemaIssues(action.inputSchema, `/actions/${i}/inputSchema`)));
  return issues;
}

/**
 * Checks a `connector.json` against the ConnectorManifest schema (schemas/connector/manifest.json),
 * then what a schema cannot say: the `sdk` range accepts this SDK, data types and action names are
 * unique, auth settings fit the auth type, and `required` names exist in `properties`. The input is
 * not modified. Give `sdkVersion` to check against another SDK version than this one.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const result = validateManifest(JSON.parse(readFileSync('connectors/stripe/connector.json', 'utf8')));
 * if (result.valid) register(result.manifest);
 * else markUnavailable(result.issues.map((i) => `${i.path} ${i.message}`).join('; '));
 * ```
 */
export function validateManifest(json: unknown, options: { sdkVersion?: string } = {}): ManifestValidation {
  // The generated validators fill in defaults: validate a copy so the caller's object stays as it was.
  const candidate: unknown = structuredClone(json);
  const validate = validators.ConnectorManifest;
  if (!validate(candidate)) {
    // An `if` error only repeats the failure of its `then` branch, which is reported on its own.
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
    const issues = errors.map((e) => toIssue(e as SchemaError));
    const unique = issues.filter((issue, i) => issues.findIndex((o) => o.path === issue.path && o.message === issue.message) === i);
    return { valid: false, issues: unique };
  }
  const issues = semanticIssues(candidate, options.sdkVersion ?? SDK_VERSION);
  return issues.length > 0 ? { valid: false, issues } : { valid: true, manifest: candidate };
}

/**
 * {@link validateManifest} for code that cannot go on without a valid manifest: returns it, or throws
 * a {@link ManifestError} listing every issue.
 *
 * @example
 * ```ts
 * const manifest = assertValidManifest(JSON.parse(text));
 * manifest.dataTypes.map((d) => d.type);
 * ```
 */
export function assertValidManifest(json: unknown, options: { sdkVersion?: string } = {}): ConnectorManifest {
  const result = validateManifest(json, options);
  if (!result.valid) throw new ManifestError(result.issues);
  return result.manifest;
}
