import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { checkInvariants, opArbitrary, prepareOp, runOp, snapshot, type Op, type World } from './books-model.js';
import { CRASH_FAULTS, deliveryArbitrary, httpWrites, type Delivery, type HttpWrites } from './books-http.js';
import { PROJECT_COVERAGE } from './projects-model.js';

/**
 * Property: whatever sequence of sales-cycle operations is run (invoices with random lines, issue, partial,
 * full and over-payments, payments refused for exceeding a balance, refunds, voids, credit notes, customer
 * credit applied; bills with expense and stock lines, bill payments, bank debits of imported statements
 * matched to bills (part, all, more than the balance, a paid bill), sales of a tracked product, stock
 * adjustments), the books stay whole after every single operation: the trial balance sums to zero,
 * receivables equal the open invoice balances and the AR aging total (read from the postings, today and
 * later) with each aged invoice owing its own balance, every invoice's balance is total − paid − credited ≥ 0 and
 * matches the payments applied to it, customer credits equal the unapplied payments, the cached
 * account balances equal the sums of the postings, payables equal the open bill balances and the AP aging
 * total, the stock equals the sum of its movements, and the inventory account equals Σ(quantity × average
 * cost). With the projects operations (milestones billed in advance and completed, time recorded, submitted,
 * invoiced, and paid by payroll): deferred revenue equals what milestones billed and did not recognise, no time
 * entry is billed twice, no timesheet is paid twice, and the wages accounts equal the payroll runs. A refused
 * operation writes nothing.
 *
 * Every write goes through the HTTP API with an Idempotency-Key and a random delivery: once, twice, twice at
 * once, or cut by a crash after or before its commit and retried with the same key. Each must take effect
 * once: the books above, and as many invoices and payments stored as the operations created.
 */
/** Run first: every kind of operation succeeds and is refused at least once, whatever the random runs draw. */
const line = { quantity: '2.5', unitPrice: 10_000, discountBp: 0, taxed: true };
const COVERAGE: Op[] = [
  { kind: 'invoice', lines: [line], issue: true },
  { kind: 'pay', pick: 0, mode: 'over', fraction: 0.5, extra: 700, fees: 30, clearing: true },
  { kind: 'invoice', lines: [line, { ...line, discountBp: 1500, taxed: false }], issue: true },
  { kind: 'applyCredit', pickPayment: 0, pickInvoice: 1 },
  { kind: 'credit', pick: 1, fraction: 0.3 },
  { kind: 'void', pick: 0 },
  { kind: 'pay', pick: 1, mode: 'exceed', fraction: 0.5, extra: 1, fees: 0, clearing: false },
  { kind: 'pay', pick: 1, mode: 'partial', fraction: 0.4, extra: 1, fees: 0, clearing: false },
  { kind: 'refund', pick: 0, fraction: 0.5, mode: 'exceed' },
  { kind: 'refund', pick: 1, fraction: 0.5, mode: 'part' },
  { kind: 'refund', pick: 0, fraction: 0.5, mode: 'all' },
  { kind: 'dispute', pick: 1, fraction: 0.5, mode: 'exceed', outcome: 'LOST' },
  { kind: 'dispute', pick: 1, fraction: 0.5, mode: 'part', outcome: 'LOST' },
  { kind: 'dispute', pick: 1, fraction: 0.5, mode: 'all', outcome: 'WON' },
  { kind: 'pay', pick: 0, mode: 'credit_only', fraction: 0.5, extra: 900, fees: 20, clearing: true },
  { kind: 'dispute', pick: 2, fraction: 0.5, mode: 'all', outcome: 'WON' },
  { kind: 'invoice', lines: [line], issue: false },
  { kind: 'issue', pick: 2 },
  { kind: 'issue', pick: 2 },
  { kind: 'void', pick: 2 },
];

const DELIVERIES: Delivery[] = ['once', 'duplicate', 'concurrent', 'crash-after-commit', 'crash-before-commit'];
/** The same for purchasing and inventory. */
const PURCHASING: Op[] = [
  { kind: 'bill', lines: [{ stock: true, quantity: '10', unitCost: 1000, taxed: true }, { stock: false, quantity: '1', unitCost: 5000, taxed: false }] },
  { kind: 'payBill', pick: 0, mode: 'partial', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'exceed', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'full', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'partial', fraction: 0.3 },
  { kind: 'bankDebit', pick: 0, mode: 'partial', fraction: 0.3 },
  { kind: 'sellStock', quantity: '4', issue: true },
  { kind: 'sellStock', quantity: '100', issue: true },
  { kind: 'adjust', quantity: '3', down: true, unitCost: null },
  { kind: 'adjust', quantity: '50', down: true, unitCost: null },
  { kind: 'adjust', quantity: '2.5', down: false, unitCost: null },
  { kind: 'void', pick: 0 },
  { kind: 'issue', pick: 1 },
  { kind: 'sellStock', quantity: '5', issue: false },
  { kind: 'issue', pick: 2 },
  { kind: 'bill', lines: [{ stock: true, quantity: '1.3333', unitCost: 777, taxed: false }] },
  { kind: 'sellStock', quantity: '7.8333', issue: true },
  { kind: 'bankDebit', pick: 1, mode: 'partial', fraction: 0.4 },
  { kind: 'bankDebit', pick: 1, mode: 'exceed', fraction: 0.4 },
  { kind: 'bankDebit', pick: 1, mode: 'full', fraction: 0.4 },
  { kind: 'bankDebit', pick: 1, mode: 'full', fraction: 0.4 },
];

describe('books invariants under random operations (fast-check)', () => {
  let hub: TestHub;
  let runs = 0;
  const deliveries = new Map<Delivery, number>();

  beforeAll(async () => {
    hub = await createTestHub({ idempotencyFaults: CRASH_FAULTS });
  });
  afterAll(() => hub.close());

  async function newWorld(): Promise<World & { writes: HttpWrites }> {
    const s = hub.core.services;
    const org = await hub.createOrganization(`Property ${++runs}`, 'USD');
    const customer = await s.customers.create(org.id, { businessName: 'Random Customer' }, { source: 'SYSTEM' });
    const tax = await s.taxRates.create(org.id, { name: 'Tax 8.25%', basisPoints: 825 }, { source: 'SYSTEM' });
    const vendor = await s.purchasing.vendors.create(org.id, { name: 'Random Vendor' }, { source: 'SYSTEM' });
    const product = await s.products.create(org.id, { sku: 'STOCK-1', name: 'Stocked', type: 'INVENTORY', unitPrice: 2500, unitCost: 900, trackInventory: true, reorderPoint: '5' }, { source: 'SYSTEM' });
    const project = await s.projects.projects.create(org.id, { customerId: customer.id, name: 'Random project', budget: 1_000_000 }, { source: 'SYSTEM' });
    await s.projects.projects.transition(org.id, project.id, 'start', { source: 'SYSTEM' });
    const writes = httpWrites(hub, org, s);
    return {
      hub, services: writes.services, writes, orgId: org.id, customerId: customer.id, taxRateId: tax.id,
      vendorId: vendor.id, productId: product.id, projectId: project.id, invoices: [], payments: [], bills: [],
    };
  }

  /** Nothing was written twice: exactly the invoices and payments the operations created are stored. */
  async function checkCreatedOnce(world: World): Promise<void> {
    const k = hub.db.knex;
    const count = async (table: string) => Number((await k(table).where('organization_id', world.orgId).count({ n: '*' }).first())?.n);
    // The projects operations add the invoices they make (milestone billing, time invoicing) to the world's.
    expect(await count('invoices')).toBe(world.invoices.length);
    expect(await count('payments')).toBe(world.payments.length);
  }

  it('keeps the books whole after every operation', async () => {
    // What the runs did, so the property cannot pass by refusing or skipping everything.
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(opArbitrary, deliveryArbitrary), { minLength: 1, maxLength: 15 }), async (steps: Array<[Op, Delivery]>) => {
        const world = await newWorld();
        for (const [op, delivery] of steps) {
          world.writes.delivery = delivery;
          await prepareOp(world, op);
          const before = await snapshot(hub, world.orgId);
          const { expected, error, skipped } = await runOp(world, op);
          count(`${op.kind}:${skipped ? 'skipped' : error ? 'refused' : 'done'}`);
          if (error) count(`refused:${error.code}`);
          if ('ok' in expected) {
            expect(error?.message, JSON.stringify(op)).toBeUndefined();
          } else {
            expect(error?.code, JSON.stringify(op)).toBeOneOf(expected.refused);
            expect(await snapshot(hub, world.orgId)).toBe(before);
          }
          await checkInvariants(world);
          await checkCreatedOnce(world);
        }
        for (const [kind, n] of world.writes.tally) deliveries.set(kind, (deliveries.get(kind) ?? 0) + n);
      }),
      { numRuns: 50, examples: [[COVERAGE.map((op, i): [Op, Delivery] => [op, DELIVERIES[i % DELIVERIES.length] ?? 'once'])], [PROJECT_COVERAGE.map((op, i): [Op, Delivery] => [op, DELIVERIES[i % DELIVERIES.length] ?? 'once'])], [PURCHASING.map((op, i): [Op, Delivery] => [op, DELIVERIES[i % DELIVERIES.length] ?? 'once'])]] },
    );
    for (const kind of DELIVERIES) {
      expect(deliveries.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
    for (const key of ['invoice:done', 'issue:done', 'pay:done', 'pay:refused', 'refund:done', 'refund:refused', 'void:done', 'void:refused', 'credit:done', 'applyCredit:done', 'dispute:done', 'dispute:refused',
      'milestone:done', 'billMilestone:done', 'billMilestone:refused', 'completeMilestone:done', 'completeMilestone:refused', 'time:done', 'time:refused',
      'submit:done', 'submit:refused', 'invoiceTime:done', 'invoiceTime:refused', 'payroll:done', 'payroll:refused',
      'bill:done', 'payBill:done', 'payBill:refused', 'bankDebit:done', 'bankDebit:refused', 'sellStock:done', 'adjust:done', 'adjust:refused', 'refused:INSUFFICIENT_STOCK']) {
      expect(tally.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  }, 300_000);
});
