import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import { HttpError, type AccessToken, type Event } from '@uah/connector-sdk';
import shipped from '../src/index.js';
import { dayOf, msDate, xero, xeroMessage, type Config, type Credentials } from '../src/api.js';
import { startXeroEmulator, type XeroEmulator } from './emulator.js';
import { loadXeroSchemas, schemaProblems, type XeroSchemas } from './openapi.js';
import { testConnector } from './test-connector.js';

let emu: XeroEmulator;
let connector: ReturnType<typeof testConnector>;
let schemas: XeroSchemas;
/** One organization's books for every test. */
let shared: TestContext<Credentials, Config>;
const rejected: string[] = [];

function context(config: Partial<Config> = {}): TestContext<Credentials, Config> {
  return createTestContext(connector, {
    ...(shared ? { entities: { customers: shared.ctx.entities.customers } } : {}),
    credentials: { clientId: emu.client.id, clientSecret: emu.client.secret },
    config: { baseUrl: emu.url, ...config },
    tokens: async (request): Promise<AccessToken> => {
      if (request?.rejected) rejected.push(request.rejected);
      return { accessToken: emu.issueToken(), tokenType: 'Bearer', expiresAt: null, scopes: [] };
    },
  });
}

const event = (type: string, object: unknown): Event => ({ id: `evt_${Math.random().toString(36).slice(2)}`, type, aggregateId: (object as { id: string }).id, aggregateType: type.split('.')[0]!, organizationId: 'org_test', data: { object }, metadata: { source: 'API' }, version: 1, timestamp: new Date().toISOString() } as unknown as Event);

beforeAll(async () => {
  emu = await startXeroEmulator();
  connector = testConnector(emu.url);
  shared = context();
  schemas = loadXeroSchemas();
});
afterAll(async () => {
  await emu?.close();
});

describe('the Xero connector', () => {
  it('keeps the contract, and ships with Xero hosts only', () => {
    expect(contractProblems(shipped)).toEqual([]);
    expect(shipped.manifest.allowedHosts).toEqual(['api.xero.com', 'identity.xero.com', 'login.xero.com']);
  });

  it('finds the tenant in GET /connections once, sends it as xero-tenant-id, and creates then updates a contact', async () => {
    const customer = await shared.ctx.entities.customers.create({ businessName: 'Bayview Cafe', email: 'ap@bayview.test' });
    await connector.onEvent!(shared.ctx, event('customer.created', customer));
    expect(shared.state.get('xero.tenantId')).toBe(emu.tenantId);
    const [contact] = emu.all('Contacts');
    expect(contact).toMatchObject({ Name: 'Bayview Cafe', EmailAddress: 'ap@bayview.test', IsCustomer: true, ContactStatus: 'ACTIVE' });
    expect(emu.requests.at(-1)?.headers['xero-tenant-id']).toBe(emu.tenantId);
    const updated = await shared.ctx.entities.customers.update(customer.id, { email: 'billing@bayview.test' });
    await connector.onEvent!(shared.ctx, event('customer.updated', updated));
    expect(emu.all('Contacts')).toHaveLength(1);
    expect(emu.all('Contacts')[0]).toMatchObject({ ContactID: contact?.['ContactID'], EmailAddress: 'billing@bayview.test' });
  });

  it('refreshes a refused token once; waits for Retry-After at the minute limit; stops at once at the day limit', async () => {
    emu.expireAccessTokens();
    const api = await xero(shared.ctx);
    expect(await api.list('Contacts')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    // A one-second window of one request: the second request is answered 429 with Retry-After: 1.
    await new Promise((r) => setTimeout(r, 1100));
    Object.assign(emu, { perMinute: 1, minuteWindowMs: 1000 });
    const started = Date.now();
    const waited = await Promise.all([api.list('Contacts'), api.list('Contacts')]).finally(() => Object.assign(emu, { perMinute: 60, minuteWindowMs: 60_000 }));
    expect(waited.map((l) => l.length)).toEqual([1, 1]);
    const limited = emu.requests.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.answer).toMatchObject({ Status: 429 });
    expect(Date.now() - started).toBeGreaterThan(900);
    emu.dayCount = emu.perDay;
    const error = await api.list('Contacts').catch((e: unknown) => e);
    emu.dayCount = 0;
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).attempts).toBe(1);
    expect(xeroMessage(error)).toContain('day rate limit reached');
  }, 60_000);

  it("reports Xero's validation errors in its own words", async () => {
    const api = await xero(shared.ctx);
    const error = await api.save('Invoices', 'POST', [{ Type: 'ACCREC', Contact: { ContactID: emu.all('Contacts')[0]?.['ContactID'] }, LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 1, AccountCode: '9999' }] }], 'bad-account').catch((e: unknown) => e);
    expect(xeroMessage(error)).toContain("Account code '9999' is not a valid code for this document.");
  });

  it('reads Xero dates', () => {
    expect(msDate('/Date(1573755038314+0000)/')).toBe('2019-11-14T18:10:38.314Z');
    expect(dayOf({ Date: '/Date(1764547200000+0000)/' }, 'Date')).toBe('2025-12-01');
    expect(dayOf({ DueDateString: '2026-12-31T00:00:00', DueDate: '/Date(0+0000)/' }, 'DueDate')).toBe('2026-12-31');
  });

  it("sends and receives only what Xero's OpenAPI schemas allow (and the check finds what they do not)", () => {
    expect(emu.requests.length).toBeGreaterThan(6);
    expect(schemaProblems(emu.requests, schemas)).toEqual([]);
    expect(schemas.problems('Contacts', { Contacts: [{ Name: 1 }] })).toEqual(['Contacts/Contacts/0/Name must be string']);
  });

  it("calls the Accounting API through xero-node's AccountingApi, sent by the connector SDK's HTTP client", () => {
    expect(emu.requests.length).toBeGreaterThan(6);
    for (const request of emu.requests) {
      expect(request.headers['user-agent']).toBe('xero-node-20.0.0');
      expect(request.headers['authorization']).toMatch(/^Bearer \S+$/);
      expect(request.headers['authorization']).not.toBe('Bearer ');
    }
  });
});
