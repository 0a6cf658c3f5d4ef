import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorEntityError } from '@uah/connector-sdk';
import type { Event } from '@uah/schemas';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createBooks, type Books, type BooksCall } from '../../hub/src/connectors/books.js';
import { createMappings, createSyncState } from '../../hub/src/connectors/connector-store.js';

let hub: TestHub;
let books: Books;
let orgA: string;
let orgB: string;
const ALL = ['customers:write', 'products:write', 'invoices:write', 'payments:write', 'journal_entries:read'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are read loosely and checked by value
const call = (organizationId: string, kind: string, method: string, args: unknown[], extra: Partial<BooksCall> = {}): Promise<any> =>
  books.call({ organizationId, connectorId: 'sample', permissions: ALL, cause: { source: 'IMPORT', causationId: 'evt_cause' }, kind, method, args, ...extra });

async function eventsOf(org: string, type: string): Promise<Event[]> {
  return (await hub.core.services.events.list(org, { types: type, limit: 100 })).data;
}

beforeAll(async () => {
  hub = await createTestHub();
  books = createBooks(hub.core.services);
  orgA = (await hub.createOrganization('A Ltd')).id;
  orgB = (await hub.createOrganization('B Ltd')).id;
});
afterAll(async () => hub.close());

describe('the books a connector reaches', () => {
  it('writes through the core services, with the cause in each event', async () => {
    const customer = await call(orgA, 'customers', 'create', [{ businessName: 'Acme', email: 'ap@acme.test' }], { cause: { source: 'WEBHOOK', causationId: 'whk_1' } });
    expect(customer).toMatchObject({ object: 'customer', organizationId: orgA, businessName: 'Acme' });
    const [event] = (await eventsOf(orgA, 'customer.created')).filter((e) => e.aggregateId === customer.id);
    expect(event?.metadata).toMatchObject({ source: 'WEBHOOK', causationId: 'whk_1', userId: 'connector:sample' });
  });

  it('never reaches another organization', async () => {
    const customer = await call(orgA, 'customers', 'create', [{ email: 'x@a.test' }]);
    expect(await call(orgB, 'customers', 'get', [customer.id])).toBeUndefined();
    await expect(call(orgB, 'customers', 'update', [customer.id, { email: 'y@b.test' }])).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const listed = await call(orgB, 'customers', 'list', [{}]);
    expect(listed.data.map((c: { id: string }) => c.id)).not.toContain(customer.id);
  });

  it('refuses what the manifest does not declare, before anything is written', async () => {
    const before = (await eventsOf(orgA, 'customer.created')).length;
    const refused = await call(orgA, 'customers', 'create', [{ email: 'z@a.test' }], { permissions: ['customers:read'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectorEntityError);
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
    expect((await eventsOf(orgA, 'customer.created')).length).toBe(before);
    await expect(call(orgA, 'creditNotes', 'list', [{}])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(call(orgA, 'customers', 'constructor', [])).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
  });

  it('validates input against the schemas, as the API does', async () => {
    const error = await call(orgA, 'customers', 'create', [{ email: 'not an email', shoeSize: 42 }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((error as ConnectorEntityError).errors.map((e) => e.field)).toContain('/shoeSize');
    await expect(call(orgA, 'payments', 'record', [{ customerId: 'cus_x', amount: 10.5, method: 'CARD' }])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('issues, finds by number, takes a payment with fees, and reads the journal', async () => {
    const customer = await call(orgA, 'customers', 'create', [{ businessName: 'Payer' }]);
    const draft = await call(orgA, 'invoices', 'createDraft', [{ customerId: customer.id, lines: [{ description: 'Plan', quantity: '1', unitPrice: 4900 }] }]);
    expect(draft.status).toBe('DRAFT');
    const issued = await call(orgA, 'invoices', 'issue', [draft.id]);
    expect(issued.number).toBeTruthy();
    expect((await call(orgA, 'invoices', 'findByNumber', [issued.number])).id).toBe(draft.id);
    expect(await call(orgB, 'invoices', 'findByNumber', [issued.number])).toBeUndefined();

    const payment = await call(orgA, 'payments', 'record', [{ customerId: customer.id, amount: 4900, method: 'CARD', status: 'PENDING', applications: [{ invoiceId: draft.id, amount: 4900 }] }]);
    expect(payment.status).toBe('PENDING');
    const completed = await call(orgA, 'payments', 'complete', [payment.id, { fees: 172 }]);
    expect(completed).toMatchObject({ status: 'COMPLETED', fees: 172 });
    expect((await call(orgA, 'invoices', 'get', [draft.id])).status).toBe('PAID');
    const entries = await call(orgA, 'journalEntries', 'list', [{ limit: 100 }]);
    expect(entries.data.length).toBeGreaterThanOrEqual(2);
    const [succeeded] = (await eventsOf(orgA, 'payment.succeeded')).filter((e) => e.aggregateId === payment.id);
    expect(succeeded?.metadata).toMatchObject({ source: 'IMPORT', causationId: 'evt_cause' });
  });
});

describe('mappings and sync state', () => {
  it('keeps links one-to-one and per organization and connector', async () => {
    const a = createMappings(hub.db.knex, { organizationId: orgA, connectorId: 'sample' });
    const b = createMappings(hub.db.knex, { organizationId: orgB, connectorId: 'sample' });
    const other = createMappings(hub.db.knex, { organizationId: orgA, connectorId: 'other' });
    await a.link('customer', 'cus_1', 'ext_1');
    expect(await a.internalIdOf('customer', 'ext_1')).toBe('cus_1');
    expect(await b.internalIdOf('customer', 'ext_1')).toBeUndefined();
    expect(await other.externalIdOf('customer', 'cus_1')).toBeUndefined();
    await a.link('customer', 'cus_2', 'ext_1');
    expect(await a.externalIdOf('customer', 'cus_1')).toBeUndefined();
    expect(await a.internalIdOf('customer', 'ext_1')).toBe('cus_2');
    await a.unlink('customer', 'cus_2');
    expect(await a.internalIdOf('customer', 'ext_1')).toBeUndefined();
  });

  it('stores JSON state per organization and refuses oversized values', async () => {
    const a = createSyncState(hub.db.knex, { organizationId: orgA, connectorId: 'sample' });
    const b = createSyncState(hub.db.knex, { organizationId: orgB, connectorId: 'sample' });
    await a.set('cursor', { after: 'ch_9', n: 2 });
    await a.set('cursor', { after: 'ch_10', n: 3 });
    expect(await a.get('cursor')).toEqual({ after: 'ch_10', n: 3 });
    expect(await b.get('cursor')).toBeUndefined();
    await expect(a.set('big', 'x'.repeat(70_000))).rejects.toThrow(/at most/);
    await a.delete('cursor');
    expect(await a.get('cursor')).toBeUndefined();
  });

  it('adjusts stock and completes milestones, behind the inventory and projects permissions', async () => {
    const grants = { permissions: ['products:write', 'inventory:write', 'customers:write', 'projects:write'] };
    const product = await call(orgA, 'products', 'create', [{ sku: 'BOOKS-STOCK-1', name: 'Boxed', type: 'INVENTORY', unitPrice: 500, unitCost: 200, trackInventory: true }], grants);
    const adjusted = await call(orgA, 'inventory', 'adjust', [{ productId: product.id, quantityChange: '7', reason: 'STOCK_COUNT' }], grants);
    expect(adjusted).toMatchObject({ object: 'inventory_adjustment', quantityAfter: '7' });
    expect(await call(orgA, 'inventory', 'stockLevel', [product.id], grants)).toMatchObject({ quantityOnHand: '7' });
    await expect(call(orgA, 'inventory', 'adjust', [{ productId: product.id, quantityChange: '1', reason: 'FOUND' }], { permissions: ['inventory:read'] })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });

    const customer = await call(orgA, 'customers', 'create', [{ businessName: 'Project buyer' }], grants);
    const project = await hub.core.services.projects.projects.create(orgA, { customerId: customer.id, name: 'Fit-out' }, { source: 'API' });
    const milestone = await hub.core.services.projects.milestones.create(orgA, project.id, { name: 'Stage 1', amount: 10_000 }, { source: 'API' });
    await hub.core.services.projects.projects.transition(orgA, project.id, 'start', { source: 'API' });
    expect((await call(orgA, 'projects', 'listMilestones', [project.id, {}], grants)).data.map((m: { id: string }) => m.id)).toEqual([milestone.id]);
    expect(await call(orgA, 'projects', 'getMilestone', ['ms_unknown'], grants)).toBeUndefined();
    expect(await call(orgA, 'projects', 'completeMilestone', [milestone.id, {}], grants)).toMatchObject({ status: 'COMPLETED' });
    expect(await call(orgB, 'projects', 'get', [project.id], grants)).toBeUndefined();
    await expect(call(orgA, 'projects', 'completeMilestone', [milestone.id, {}], { permissions: ['projects:read'] })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
