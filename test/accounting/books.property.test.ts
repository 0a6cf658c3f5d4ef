import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { checkInvariants, opArbitrary, runOp, snapshot, type Op, type World } from './books-model.js';

/**
 * Property: whatever sequence of sales-cycle operations is run (invoices with random lines, issue, partial,
 * full and over-payments, payments refused for exceeding a balance, refunds, voids, credit notes, customer
 * credit applied; bills with expense and stock lines, bill payments, sales of a tracked product, stock
 * adjustments), the books stay whole after every single operation: the trial balance sums to zero,
 * receivables equal the open invoice balances and the AR aging total (read from the postings, today and
 * later) with each aged invoice owing its own balance, every invoice's balance is total − paid − credited ≥ 0 and
 * matches the payments applied to it, customer credits equal the unapplied payments, the cached
 * account balances equal the sums of the postings, payables equal the open bill balances and the AP aging
 * total, the stock equals the sum of its movements, and the inventory account equals Σ(quantity × average
 * cost). A refused operation writes nothing.
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

/** The same for purchasing and inventory. */
const PURCHASING: Op[] = [
  { kind: 'bill', lines: [{ stock: true, quantity: '10', unitCost: 1000, taxed: true }, { stock: false, quantity: '1', unitCost: 5000, taxed: false }] },
  { kind: 'payBill', pick: 0, mode: 'partial', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'exceed', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'full', fraction: 0.3 },
  { kind: 'payBill', pick: 0, mode: 'partial', fraction: 0.3 },
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
];

describe('books invariants under random operations (fast-check)', () => {
  let hub: TestHub;
  let runs = 0;

  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  async function newWorld(): Promise<World> {
    const s = hub.core.services;
    const org = await s.organizations.create({ name: `Property ${++runs}`, baseCurrency: 'USD' });
    const customer = await s.customers.create(org.id, { businessName: 'Random Customer' }, { source: 'SYSTEM' });
    const tax = await s.taxRates.create(org.id, { name: 'Tax 8.25%', basisPoints: 825 }, { source: 'SYSTEM' });
    const vendor = await s.purchasing.vendors.create(org.id, { name: 'Random Vendor' }, { source: 'SYSTEM' });
    const product = await s.products.create(org.id, { sku: 'STOCK-1', name: 'Stocked', type: 'INVENTORY', unitPrice: 2500, unitCost: 900, trackInventory: true, reorderPoint: '5' }, { source: 'SYSTEM' });
    return { hub, services: s, orgId: org.id, customerId: customer.id, taxRateId: tax.id, vendorId: vendor.id, productId: product.id, invoices: [], payments: [], bills: [] };
  }

  it('keeps the books whole after every operation', async () => {
    // What the runs did, so the property cannot pass by refusing or skipping everything.
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 15 }), async (ops: Op[]) => {
        const world = await newWorld();
        for (const op of ops) {
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
        }
      }),
      { numRuns: 50, examples: [[COVERAGE], [PURCHASING]] },
    );
    for (const key of ['invoice:done', 'issue:done', 'pay:done', 'pay:refused', 'refund:done', 'refund:refused', 'void:done', 'void:refused', 'credit:done', 'applyCredit:done', 'dispute:done', 'dispute:refused', 'bill:done', 'payBill:done', 'payBill:refused', 'sellStock:done', 'adjust:done', 'adjust:refused', 'refused:INSUFFICIENT_STOCK']) {
      expect(tally.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  }, 300_000);
});
