import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertValidManifest, ManifestError, validateManifest, type ManifestIssue } from './manifest.js';
import { SDK_VERSION } from './version.js';
import { goodManifest } from './testing/fixtures.js';

function issuesOf(json: unknown, options?: { sdkVersion?: string }): ManifestIssue[] {
  const result = validateManifest(json, options);
  return result.valid ? [] : result.issues;
}

describe('validateManifest: valid manifests', () => {
  it('accepts a complete manifest and returns it typed, leaving the input untouched', () => {
    const input = goodManifest();
    const before = JSON.stringify(input);
    const result = validateManifest(input);
    expect(result.valid).toBe(true);
    if (result.valid) expect(result.manifest.dataTypes.map((d) => [d.type, d.direction])).toEqual([['invoice', 'push'], ['payment', 'pull']]);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('accepts the example of the schema itself and a minimal manifest with no auth', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/connector/manifest.json', import.meta.url), 'utf8')) as { examples: unknown[] };
    expect(issuesOf(schema.examples[0])).toEqual([]);
    const minimal = { ...goodManifest(), auth: { type: 'none' }, events: [], dataTypes: [], actions: [], webhooks: { receives: false }, credentialsSchema: { type: 'object' } };
    expect(issuesOf(minimal)).toEqual([]);
  });

  it('keeps SDK_VERSION equal to the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});

describe('validateManifest: what the schema refuses', () => {
  const cases: Array<[string, (m: ReturnType<typeof goodManifest>) => unknown, ManifestIssue[]]> = [
    ['a missing required field', (m) => ({ ...m, category: undefined }), [{ path: '/category', message: 'is required' }]],
    ['an unknown property', (m) => ({ ...m, vendor: 'x' }), [{ path: '/', message: 'has an unknown property "vendor"' }]],
    ['an id that is not kebab-case', (m) => ({ ...m, id: 'Acme_Books' }), [{ path: '/id', message: 'must match pattern "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"' }]],
    ['a version that is not semver', (m) => ({ ...m, version: '1.4' }), [{ path: '/version', message: expect.stringContaining('must match pattern') as string }]],
    ['an sdk range it cannot read', (m) => ({ ...m, sdk: '1.x' }), [{ path: '/sdk', message: expect.stringContaining('must match pattern') as string }]],
    ['an unknown category', (m) => ({ ...m, category: 'crm' }), [{ path: '/category', message: 'must be one of payments, accounting, commerce, banking, projects, other' }]],
    ['an unknown auth type', (m) => ({ ...m, auth: { type: 'magic' } }), [{ path: '/auth/type', message: 'must be one of none, api_key, oauth2, basic' }]],
    ['oauth2 auth without its endpoints', (m) => ({ ...m, auth: { type: 'oauth2' } }), [{ path: '/auth/oauth2', message: 'is required' }]],
    ['an event type that does not exist', (m) => ({ ...m, events: ['invoice.created', 'invoice.exploded'] }), [{ path: '/events/1', message: expect.stringContaining('must be one of customer.created') as string }]],
    ['a direction that does not exist', (m) => ({ ...m, dataTypes: [{ type: 'invoice', direction: 'sideways', defaultFrequencyMinutes: 60 }] }), [{ path: '/dataTypes/0/direction', message: 'must be one of pull, push, bidirectional' }]],
    ['a frequency of zero minutes', (m) => ({ ...m, dataTypes: [{ type: 'invoice', direction: 'push', defaultFrequencyMinutes: 0 }] }), [{ path: '/dataTypes/0/defaultFrequencyMinutes', message: 'must be >= 1' }]],
    ['a fractional frequency', (m) => ({ ...m, dataTypes: [{ type: 'invoice', direction: 'push', defaultFrequencyMinutes: 7.5 }] }), [{ path: '/dataTypes/0/defaultFrequencyMinutes', message: 'must be integer' }]],
    ['a credentials schema that does not describe an object', (m) => ({ ...m, credentialsSchema: { type: 'string' } }), [{ path: '/credentialsSchema/type', message: 'must be equal to constant' }]],
    ['an action without an input schema', (m) => ({ ...m, actions: [{ name: 'resend-invoice', description: 'Again.' }] }), [{ path: '/actions/0/inputSchema', message: 'is required' }]],
    ['webhooks without receives', (m) => ({ ...m, webhooks: {} }), [{ path: '/webhooks/receives', message: 'is required' }]],
  ];
  it.each(cases)('refuses %s', (_name, breakIt, expected) => {
    const broken = JSON.parse(JSON.stringify(breakIt(goodManifest()))) as unknown;
    expect(issuesOf(broken)).toEqual(expected);
  });

  it('refuses what is not an object at all', () => {
    for (const json of [null, 'stripe', 42, []]) expect(issuesOf(json), JSON.stringify(json)).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('reports every issue of a manifest at once', () => {
    const issues = issuesOf({ ...goodManifest(), id: 'Xy', category: 'crm', webhooks: undefined });
    expect(issues.map((i) => i.path).sort()).toEqual(['/category', '/id', '/webhooks']);
  });
});

describe('validateManifest: what only code can check', () => {
  it('refuses a connector whose sdk range does not accept this SDK, naming both', () => {
    expect(issuesOf({ ...goodManifest(), sdk: '^1.0.0' })).toEqual([{ path: '/sdk', message: `"^1.0.0" does not accept this SDK (${SDK_VERSION}): the connector needs another SDK version` }]);
    expect(issuesOf({ ...goodManifest(), sdk: '^0.1.0' }, { sdkVersion: '0.2.0' })).toEqual([{ path: '/sdk', message: expect.stringContaining('(0.2.0)') as string }]);
    expect(issuesOf({ ...goodManifest(), sdk: '>=0.1.0 <2.0.0 || ^3.0.0' }, { sdkVersion: '1.9.0' })).toEqual([]);
  });

  it('refuses duplicate data types and action names', () => {
    const m = goodManifest();
    m.dataTypes.push({ type: 'invoice', direction: 'pull', defaultFrequencyMinutes: 5 });
    m.actions.push({ ...m.actions[0] });
    expect(issuesOf(m)).toEqual([
      { path: '/dataTypes', message: 'declares "invoice" twice' },
      { path: '/actions', message: 'declares "resend-invoice" twice' },
    ]);
  });

  it('refuses auth settings that belong to another auth type', () => {
    const m = goodManifest();
    m.auth = { type: 'api_key', apiKey: { in: 'header', name: 'X-Api-Key' }, oauth2: (m.auth as { oauth2: unknown }).oauth2 };
    expect(issuesOf(m)).toEqual([{ path: '/auth/oauth2', message: 'is only allowed when auth.type is oauth2' }]);
    expect(issuesOf({ ...goodManifest(), auth: { type: 'basic', apiKey: { in: 'query', name: 'key' } } })).toEqual([{ path: '/auth/apiKey', message: 'is only allowed when auth.type is api_key' }]);
  });

  it('refuses a required field that is not among the properties (a typo makes the schema unsatisfiable)', () => {
    const m = goodManifest();
    m['credentialsSchema'] = { type: 'object', properties: { clientId: { type: 'string' }, refreshToken: { type: 'string' } }, required: ['clientId', 'refresh_token'] };
    (m.actions[0] as { inputSchema: unknown }).inputSchema = { type: 'object', properties: { invoiceId: { type: 'string' } }, required: ['invoice'] };
    expect(issuesOf(m)).toEqual([
      { path: '/credentialsSchema/required', message: 'names "refresh_token", which is not in properties' },
      { path: '/actions/0/inputSchema/required', message: 'names "invoice", which is not in properties' },
    ]);
  });
});

describe('validateManifest: oauth2', () => {
  it('fills in the defaults: basic client authentication, no PKCE, scopes joined by spaces', () => {
    const result = validateManifest(goodManifest());
    expect(result.valid && result.manifest.auth.oauth2).toMatchObject({ clientAuth: 'basic', pkce: false, scopeSeparator: ' ' });
  });

  it('refuses authorization and token URLs whose hosts are not allowed', () => {
    const m = goodManifest();
    m['allowedHosts'] = ['api.acme.test'];
    expect(issuesOf(m)).toEqual([
      { path: '/auth/oauth2/authorizationUrl', message: 'must be an http(s) URL whose host is in allowedHosts' },
      { path: '/auth/oauth2/tokenUrl', message: 'must be an http(s) URL whose host is in allowedHosts' },
    ]);
    m['allowedHosts'] = ['*.acme.test', 'acme.test'];
    expect(issuesOf(m)).toEqual([]);
  });

  it("refuses credentials that do not carry the organization's OAuth client id", () => {
    const m = goodManifest();
    m['credentialsSchema'] = { type: 'object', properties: { clientId: { type: 'string' } } };
    expect(issuesOf(m)).toEqual([{ path: '/credentialsSchema', message: expect.stringContaining('must declare and require "clientId"') as string }]);
  });

  it('takes an OAuth client id required by one alternative, beside another kind of credential', () => {
    const m = goodManifest();
    m['credentialsSchema'] = { type: 'object', properties: { clientId: { type: 'string' }, token: { type: 'string' } }, anyOf: [{ required: ['token'] }, { required: ['clientId'] }] };
    expect(issuesOf(m)).toEqual([]);
    m['credentialsSchema'] = { type: 'object', properties: { clientId: { type: 'string' }, token: { type: 'string' } }, anyOf: [{ required: ['token'] }] };
    expect(issuesOf(m).map((i) => i.path)).toEqual(['/credentialsSchema']);
  });

  it('refuses extra authorization parameters that would replace the hub\'s own', () => {
    const m = goodManifest();
    m.auth['oauth2'] = { ...(m.auth['oauth2'] as object), authorizationParams: { redirect_uri: 'https://evil.test/' } };
    expect(issuesOf(m).map((i) => i.path)).toContain('/auth/oauth2/authorizationParams');
  });
});

describe('assertValidManifest', () => {
  it('returns the manifest or throws a ManifestError with every issue', () => {
    expect(assertValidManifest(goodManifest()).id).toBe('acme-books');
    const thrown = (() => {
      try {
        assertValidManifest({ ...goodManifest(), id: '' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(ManifestError);
    expect((thrown as ManifestError).issues).toEqual([
      { path: '/id', message: 'must NOT have fewer than 2 characters' },
      { path: '/id', message: 'must match pattern "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"' },
    ]);
    expect((thrown as ManifestError).message).toContain('invalid connector manifest: /id must NOT have fewer than 2 characters');
  });
});
