import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import type { AccessToken, Event } from '@uah/connector-sdk';
import shipped from '../src/index.js';
import type { Config, Credentials } from '../src/api.js';
import { startQboEmulator, type QboEmulator } from './emulator.js';
import { loadXsd, type XsdModel } from './xsd.js';
import { testConnector } from './test-connector.js';

let qbo: QboEmulator;
let connector: ReturnType<typeof testConnector>;
/** One organization's books for every test (its ids are what QuickBooks' requestid dedupes on). */
let shared: TestContext<Credentials, Config>;
let xsd: XsdModel;
const rejected: string[] = [];

function context(config: Partial<Config> = {}): TestContext<Credentials, Config> {
  return createTestContext(connector, {
    ...(shared ? { entities: { customers: shared.ctx.entities.customers } } : {}),
    credentials: { clientId: qbo.client.id, clientSecret: qbo.client.secret },
    config: { baseUrl: qbo.url, ...config },
    // The hub's token source: a new token from the provider when asked, or when one was refused.
    tokens: async (request): Promise<AccessToken> => {
      if (request?.rejected) rejected.push(request.rejected);
      return { accessToken: qbo.issueToken(), tokenType: 'Bearer', expiresAt: null, scopes: ['com.intuit.quickbooks.accounting'], params: { realmId: qbo.realmId } };
    },
  });
}

const event = (type: string, object: unknown): Event => ({ id: `evt_${Math.random().toString(36).slice(2)}`, type, aggregateId: (object as { id: string }).id, aggregateType: type.split('.')[0]!, organizationId: 'org_test', data: { object }, metadata: { source: 'API' }, version: 1, timestamp: new Date().toISOString() } as unknown as Event);

/** Every body the connector sent and every answer QuickBooks gave, checked against Intuit's XSD types. */
function xsdProblems(): string[] {
  return qbo.requests.flatMap((r) => {
    const entity = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment', item: 'Item' }[r.path.split('/')[1] ?? ''];
    return [...(entity && r.body ? xsd.problems(entity, r.body) : []), ...xsd.problems('IntuitResponse', r.answer)];
  });
}

beforeAll(async () => {
  qbo = await startQboEmulator();
  connector = testConnector(qbo.url);
  shared = context();
  xsd = loadXsd();
});
afterAll(async () => {
  await qbo?.close();
});

describe('the QuickBooks connector', () => {
  it('keeps the contract: a valid manifest, a handler per data type, no credential in logs', () => {
    expect(contractProblems(shipped)).toEqual([]);
    expect(shipped.manifest.auth.oauth2?.scopes).toEqual(['com.intuit.quickbooks.accounting']);
    expect(shipped.manifest.allowedHosts).not.toContain('127.0.0.1');
  });

  it('creates a customer by DisplayName in the realm from the authorization, then updates it with the current SyncToken', async () => {
    const test = shared;
    const customer = await test.ctx.entities.customers.create({ businessName: 'Harbour Tools Ltd', email: 'ap@harbour.test', phone: '+1 555 0100' });
    await connector.onEvent!(test.ctx, event('customer.created', customer));
    const [created] = qbo.all('Customer').filter((c) => c['DisplayName'] === 'Harbour Tools Ltd');
    expect(created).toMatchObject({ CompanyName: 'Harbour Tools Ltd', PrimaryEmailAddr: { Address: 'ap@harbour.test' }, SyncToken: '0' });
    expect(await test.ctx.mappings.externalIdOf('customer', customer.id)).toBe(created!['Id']);
    expect(qbo.requests.at(-1)).toMatchObject({ method: 'POST', path: '/customer', query: { requestid: customer.id, minorversion: '75' }, status: 200 });

    const changed = await test.ctx.entities.customers.update(customer.id, { email: 'billing@harbour.test' });
    // Someone edits it in QuickBooks between the connector's read and its write: the write is stale, re-read and retried once.
    let edits = 0;
    qbo.beforeSave = (entity, body) => {
      if (entity === 'Customer' && body['Id'] && edits++ === 0) qbo.edit('Customer', body['Id'] as string, { Notes: 'edited meanwhile' });
    };
    await connector.onEvent!(test.ctx, event('customer.updated', changed));
    qbo.beforeSave = undefined;
    const saves = qbo.requests.filter((r) => r.method === 'POST' && r.path === '/customer').slice(-2);
    expect(saves.map((r) => r.status)).toEqual([400, 200]);
    expect((saves[0]?.answer as { Fault: { Error: Array<{ code: string }> } }).Fault.Error[0]?.code).toBe('5010');
    expect(saves[1]?.body).toMatchObject({ Id: created!['Id'], SyncToken: '1', sparse: true, PrimaryEmailAddr: { Address: 'billing@harbour.test' } });
    expect(qbo.all('Customer').find((c) => c['Id'] === created!['Id'])).toMatchObject({ SyncToken: '2', Notes: 'edited meanwhile', PrimaryEmailAddr: { Address: 'billing@harbour.test' } });
    expect(qbo.all('Customer').filter((c) => c['DisplayName'] === 'Harbour Tools Ltd')).toHaveLength(1);
    expect(contractProblems(connector, test)).toEqual([]);
  });

  it('links an existing QuickBooks customer of the same DisplayName instead of creating another', async () => {
    const remote = qbo.add('Customer', { DisplayName: 'Existing Co' });
    const test = shared;
    const customer = await test.ctx.entities.customers.create({ businessName: 'Existing Co' });
    await connector.onEvent!(test.ctx, event('customer.created', customer));
    expect(qbo.all('Customer').filter((c) => c['DisplayName'] === 'Existing Co')).toHaveLength(1);
    expect(await test.ctx.mappings.externalIdOf('customer', customer.id)).toBe(remote['Id']);
  });

  it('refreshes a token QuickBooks refuses mid-sync once and goes on; waits out a 429', async () => {
    const test = shared;
    const customer = await test.ctx.entities.customers.create({ businessName: 'Token Expiry Ltd' });
    await connector.onEvent!(test.ctx, event('customer.created', customer));
    qbo.expireAccessTokens();
    qbo.throttleNext(1);
    const before = qbo.requests.length;
    await connector.onEvent!(test.ctx, event('customer.updated', await test.ctx.entities.customers.update(customer.id, { email: 'x@token.test' })));
    const statuses = qbo.requests.slice(before).map((r) => r.status);
    expect(statuses.slice(0, 3)).toEqual([401, 429, 200]);
    expect(rejected).toHaveLength(1);
    expect(qbo.all('Customer').find((c) => c['DisplayName'] === 'Token Expiry Ltd')).toMatchObject({ PrimaryEmailAddr: { Address: 'x@token.test' } });
  }, 20_000);

  it('sends and receives only fields that Intuit’s XSD types define', () => {
    expect(qbo.requests.length).toBeGreaterThan(8);
    expect(xsdProblems()).toEqual([]);
    // The checker itself finds a field QuickBooks does not define.
    expect(xsd.problems('Invoice', { CustomerRef: { value: '1' }, Lines: [] })).toEqual(['Invoice.Lines is not a field of Invoice']);
  });

  it('needs a realm: from the authorization, or the config', async () => {
    const test = createTestContext(connector, { credentials: { clientId: 'c'.repeat(8), clientSecret: 's'.repeat(8) }, config: { baseUrl: qbo.url }, accessToken: qbo.issueToken(), entities: { customers: shared.ctx.entities.customers } });
    const customer = await test.ctx.entities.customers.create({ businessName: 'No Realm Ltd' });
    await expect(connector.onEvent!(test.ctx, event('customer.created', customer))).rejects.toThrow(/realmId/);
    const configured = createTestContext(connector, { credentials: { clientId: 'c'.repeat(8), clientSecret: 's'.repeat(8) }, config: { baseUrl: qbo.url, realmId: qbo.realmId }, accessToken: qbo.issueToken(), entities: { customers: shared.ctx.entities.customers } });
    const other = await configured.ctx.entities.customers.create({ businessName: 'Configured Realm Ltd' });
    await connector.onEvent!(configured.ctx, event('customer.created', other));
    expect(qbo.all('Customer').some((c) => c['DisplayName'] === 'Configured Realm Ltd')).toBe(true);
  });
});
