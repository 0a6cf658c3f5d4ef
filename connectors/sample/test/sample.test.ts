import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '@uah/connector-sdk';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import connector from '../src/index.js';
import type { Config, Credentials } from '../src/api.js';
import { startCrmEmulator, type CrmEmulator } from './emulator.js';

const KEY = 'sk_sample_0123456789';
const HOOK = 'whsec_sample_0123456789';
let crm: CrmEmulator;
let test: TestContext<Credentials, Config>;
const job = (extra: Record<string, unknown> = {}) => ({ dataType: 'customer', direction: 'pull' as const, trigger: 'manual' as const, full: false, lastSuccessAt: null, ...extra });

beforeEach(async () => {
  crm = await startCrmEmulator(KEY);
  test = createTestContext(connector, { credentials: { apiKey: KEY, webhookSecret: HOOK }, config: { baseUrl: crm.url } });
});
afterEach(() => crm.close());

describe('sample connector', () => {
  it('keeps the contract: valid manifest, a handler for everything it declares', () => {
    expect(contractProblems(connector)).toEqual([]);
  });

  it('pulls every customer, then changes nothing when run again, logging no secret and calling only its hosts', async () => {
    for (const name of ['Ada', 'Brook', 'Cole']) crm.customers.push({ id: `crm_${name}`, name, email: null, updated_at: '2026-01-01T00:00:00.000Z' });
    expect(await connector.sync!.customer!(test.ctx, job())).toMatchObject({ created: 3, updated: 0, failed: 0 });
    expect(await connector.sync!.customer!(test.ctx, job())).toMatchObject({ created: 0, updated: 0, skipped: 3 });
    expect(test.customers.map((c) => c.businessName)).toEqual(['Ada', 'Brook', 'Cole']);
    expect(contractProblems(connector, test)).toEqual([]);
  });

  it('resumes from its checkpoint after a failure half-way', async () => {
    for (const name of ['A', 'B', 'C', 'D']) crm.customers.push({ id: `crm_${name}`, name, email: null, updated_at: '2026-01-01T00:00:00.000Z' });
    crm.failListsFrom(2); // the first page is read, the second fails (after the client's retries)
    const error = await connector.sync!.customer!(test.ctx, job()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_STATUS', status: 503 });
    expect(test.customers.map((c) => c.businessName)).toEqual(['A', 'B']);
    expect(test.state.get('customers.checkpoint')).toMatchObject({ cursor: '2' });
    crm.failListsFrom(0);
    const before = crm.received.length;
    expect(await connector.sync!.customer!(test.ctx, job())).toMatchObject({ created: 2, skipped: 0 });
    // One request: the run started at the checkpoint, not at the first page.
    expect(crm.received.slice(before)).toEqual(['GET /v1/customers?limit=50&cursor=2']);
    expect(test.customers).toHaveLength(4);
    expect(test.state.get('customers.checkpoint')).toBeUndefined();
  });

  it('decides a conflict by the rule it is given and reports it', async () => {
    crm.customers.push({ id: 'crm_1', name: 'Old', email: null, updated_at: '2026-01-01T00:00:00.000Z' });
    await connector.sync!.customer!(test.ctx, job());
    crm.customers[0]!.name = 'New at the CRM';
    crm.customers[0]!.updated_at = '2999-01-01T00:00:00.000Z';
    const kept = await connector.sync!.customer!(test.ctx, job({ conflictResolution: 'MASTER_WINS' }));
    expect(kept).toMatchObject({ updated: 0, conflicts: [{ externalId: 'crm_1', winner: 'ours' }] });
    const taken = await connector.sync!.customer!(test.ctx, job({ conflictResolution: 'NEWEST_WINS' }));
    expect(taken).toMatchObject({ updated: 1, conflicts: [{ externalId: 'crm_1', winner: 'remote' }] });
    expect(test.customers[0]?.businessName).toBe('New at the CRM');
  });

  it('pushes a new customer once, however often the event arrives', async () => {
    const event = { id: 'evt_1', type: 'customer.created', data: { object: { id: 'cus_1', displayName: 'Dana', email: 'd@x.test' } } } as unknown as Event;
    await connector.onEvent!(test.ctx, event);
    await connector.onEvent!(test.ctx, event);
    expect(crm.customers.map((c) => c.name)).toEqual(['Dana']);
  });

  it('verifies webhooks by their signature and applies an update', async () => {
    crm.customers.push({ id: 'crm_1', name: 'Before', email: null, updated_at: '2026-01-01T00:00:00.000Z' });
    await connector.sync!.customer!(test.ctx, job());
    const body = JSON.stringify({ id: 'wh_1', type: 'customer.updated', data: { id: 'crm_1', name: 'After', email: null, updated_at: '2026-02-01T00:00:00.000Z' } });
    const request = (signature: string) => ({ headers: { 'x-crm-signature': signature }, query: {}, rawBody: new TextEncoder().encode(body) });
    expect(await connector.verifyWebhook!(test.ctx, request(crm.sign(body, 'wrong-secret-000')))).toBe(false);
    expect(await connector.verifyWebhook!(test.ctx, request(crm.sign(body, HOOK)))).toEqual({ eventId: 'wh_1' });
    await connector.handleWebhook!(test.ctx, request(crm.sign(body, HOOK)));
    expect(test.customers[0]?.businessName).toBe('After');
  });

  it('refuses a call to a host it did not declare', async () => {
    const error = await test.ctx.http({ baseUrl: 'https://elsewhere.test' }).get('/').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
  });
});
