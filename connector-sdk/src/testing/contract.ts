import type { Customer, CustomerCreate } from '@uah/schemas';
import { createConnectorAuth, withBearer, type AccessToken, type TokenRequest } from '../auth.js';
import type { ConnectorContext, JsonValue } from '../context.js';
import type { Connector } from '../define.js';
import { ENTITY_METHODS, type ConnectorEntities } from '../entities.js';
import { createHttpClient } from '../http/client.js';
import { validateManifest } from '../manifest.js';
import { ConnectorEntityError, guardEntities } from '../permissions.js';

/**
 * A context for a connector's own tests: customers kept in memory (other kinds answer NOT_FAKED unless
 * `entities` gives them), mappings and state in memory, logs recorded, the HTTP client held to the
 * manifest's `allowedHosts`, and every call checked against the manifest's `permissions`, as the hub does.
 *
 * @example
 * ```ts
 * const test = createTestContext(connector, { credentials: { apiKey: 'sk_test_1' }, config: { baseUrl: emulator.url } });
 * await connector.sync!.customer!(test.ctx, { dataType: 'customer', direction: 'pull', trigger: 'manual', full: true, lastSuccessAt: null });
 * expect(test.customers).toHaveLength(3);
 * ```
 */
export interface TestContext<TCredentials = Record<string, unknown>, TConfig = Record<string, unknown>> {
  ctx: ConnectorContext<TCredentials, TConfig>;
  customers: Customer[];
  state: Map<string, JsonValue>;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
  /** Every URL the connector's HTTP clients asked for (refused ones included). */
  requests: string[];
}

function memoryCustomers(organizationId: string, store: Customer[]): ConnectorEntities['customers'] {
  const now = (): string => new Date().toISOString();
  return {
    get: async (id) => store.find((c) => c.id === id),
    list: async () => ({ data: [...store], nextCursor: null }),
    create: async (input: CustomerCreate) => {
      const customer = { id: `cus_test${store.length + 1}`, object: 'customer', organizationId, firstName: input.firstName ?? null, lastName: input.lastName ?? null, businessName: input.businessName ?? null, displayName: input.businessName ?? input.email ?? 'customer', email: input.email ?? null, phone: input.phone ?? null, tier: input.tier ?? 'SMALL_BUSINESS', currency: input.currency ?? 'USD', billingAddress: input.billingAddress ?? null, status: 'ACTIVE', metadata: input.metadata ?? {}, createdAt: now(), updatedAt: now() } as Customer;
      store.push(customer);
      return customer;
    },
    update: async (id, patch) => {
      const customer = store.find((c) => c.id === id);
      if (!customer) throw new ConnectorEntityError('NOT_FOUND', `No customer ${id}`, 404);
      Object.assign(customer, patch, { updatedAt: now() });
      return customer;
    },
  };
}

function notFaked(): ConnectorEntities {
  const out: Record<string, Record<string, () => Promise<never>>> = {};
  for (const [kind, methods] of Object.entries(ENTITY_METHODS)) {
    out[kind] = Object.fromEntries(Object.keys(methods).map((m) => [m, () => Promise.reject(new ConnectorEntityError('NOT_FAKED', `entities.${kind}.${m} has no fake in this test`, 500))]));
  }
  return out as unknown as ConnectorEntities;
}

/** See {@link TestContext}. */
export function createTestContext<TCredentials, TConfig>(
  connector: Connector<TCredentials, TConfig>,
  options: {
    credentials: TCredentials;
    config?: TConfig;
    organizationId?: string;
    entities?: Partial<ConnectorEntities>;
    /** For an oauth2 connector: the access token `ctx.auth` gives (and `ctx.http` sends), as the hub would after an authorization. */
    accessToken?: string;
    /** For an oauth2 connector: the token source instead of a fixed `accessToken` (a test's provider emulator, to refresh after a 401). */
    tokens?: (request?: TokenRequest) => Promise<AccessToken>;
  },
): TestContext<TCredentials, TConfig> {
  const organizationId = options.organizationId ?? 'org_test';
  const customers: Customer[] = [];
  const state = new Map<string, JsonValue>();
  const links = new Map<string, string>();
  const logs: TestContext['logs'] = [];
  const requests: string[] = [];
  const entities = guardEntities({ ...notFaked(), customers: memoryCustomers(organizationId, customers), ...(options.entities ?? {}) }, connector.manifest.permissions ?? []);
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void logs.push({ level, message, ...(fields ? { fields } : {}) });
  const fixed = options.accessToken !== undefined ? async (): Promise<AccessToken> => ({ accessToken: options.accessToken as string, tokenType: 'Bearer', expiresAt: null, scopes: connector.manifest.auth.oauth2?.scopes ?? [] }) : undefined;
  const auth = createConnectorAuth(connector.manifest.auth.type, connector.manifest.auth.type === 'oauth2' ? (options.tokens ?? fixed) : undefined);
  const recordingFetch: typeof fetch = (input, init) => {
    requests.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(input, init);
  };
  const ctx: ConnectorContext<TCredentials, TConfig> = {
    connectorId: connector.manifest.id,
    organizationId,
    credentials: options.credentials,
    config: options.config ?? ({} as TConfig),
    entities,
    mappings: {
      externalIdOf: async (type, id) => [...links.entries()].find(([k, v]) => v === id && k.startsWith(`${type}:`))?.[0].slice(type.length + 1),
      internalIdOf: async (type, ext) => links.get(`${type}:${ext}`),
      link: async (type, id, ext) => {
        for (const [k, v] of links) if (k.startsWith(`${type}:`) && v === id) links.delete(k);
        links.set(`${type}:${ext}`, id);
      },
      unlink: async (type, id) => {
        for (const [k, v] of links) if (k.startsWith(`${type}:`) && v === id) links.delete(k);
      },
    },
    syncState: { get: async (k) => state.get(k), set: async (k, v) => void state.set(k, v), delete: async (k) => void state.delete(k) },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    http: (http) => createHttpClient({ ...(auth.type === 'oauth2' ? withBearer(http, auth) : http), fetch: recordingFetch, allowedHosts: connector.manifest.allowedHosts ?? [] }),
    auth,
    cause: { source: 'IMPORT' },
    signal: new AbortController().signal,
  };
  return { ctx, customers, state, logs, requests };
}

/**
 * What the hub checks at load time and at run time, for a connector's own tests: a list of problems
 * (empty when the contract holds). Give a test context after running the handlers to check that no
 * credential value was logged and only allowed hosts were asked for.
 *
 * @example
 * ```ts
 * expect(contractProblems(connector, test)).toEqual([]);
 * ```
 */
export function contractProblems<TCredentials, TConfig>(connector: Connector<TCredentials, TConfig>, after?: TestContext<TCredentials, TConfig>): string[] {
  const problems: string[] = [];
  const checked = validateManifest(connector.manifest);
  if (!checked.valid) problems.push(...checked.issues.map((i) => `manifest ${i.path} ${i.message}`));
  for (const d of connector.manifest.dataTypes) if (typeof connector.sync?.[d.type] !== 'function') problems.push(`no sync handler for ${d.type}`);
  for (const a of connector.manifest.actions) if (typeof connector.actions?.[a.name] !== 'function') problems.push(`no action handler for ${a.name}`);
  if (after) {
    const secrets = Object.values(after.ctx.credentials as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length >= 4);
    const logged = JSON.stringify(after.logs);
    for (const secret of secrets) if (logged.includes(secret)) problems.push('a credential value appears in the logs');
    const hosts = connector.manifest.allowedHosts ?? [];
    for (const url of after.requests) {
      const host = new URL(url).hostname;
      if (!hosts.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p))) problems.push(`called ${host}, which allowedHosts does not list`);
    }
  }
  return problems;
}
