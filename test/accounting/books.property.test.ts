import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { checkInvariants, opArbitrary, runOp, snapshot, type Op, type World } from './books-model.js';
import { PROJECT_COVERAGE } from './projects-model.js';

/**
 * Property: whatever sequence of sales-cycle operations is run (invoices with random lines, issue, partial,
 * full and over-payments, payments refused for exceeding a balance, refunds, voids, credit notes, customer
 * credit applied), the books stay whole after every single operation: the trial balance sums to zero,
 * receivables equal the open invoice balances and the AR aging total (read from the postings, today and
 * later) with each aged invoice owing its own balance, every invoice's balance is total − paid − credited ≥ 0 and
 * matches the payments applied to it, customer credits equal the unapplied payments, and the cached
 * account balances equal the sums of the postings. With the projects operations (milestones billed in advance and
 * completed, time recorded, submitted, invoiced, and paid by payroll): deferred revenue equals what milestones billed
 * and did not recognise, no time entry is billed twice, no timesheet is paid twice, and the wages accounts equal the
 * payroll runs. A refused operation writes nothing.
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
    const project = await s.projects.projects.create(org.id, { customerId: customer.id, name: 'Random project', budget: 1_000_000 }, { source: 'SYSTEM' });
    await s.projects.projects.transition(org.id, project.id, 'start', { source: 'SYSTEM' });
    return { services: s, orgId: org.id, customerId: customer.id, taxRateId: tax.id, invoices: [], payments: [], projectId: project.id };
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
          if ('ok' in expected) {
            expect(error?.message, JSON.stringify(op)).toBeUndefined();
          } else {
            expect(error?.code, JSON.stringify(op)).toBeOneOf(expected.refused);
            expect(await snapshot(hub, world.orgId)).toBe(before);
          }
          await checkInvariants(world);
        }
      }),
      { numRuns: 50, examples: [[COVERAGE], [PROJECT_COVERAGE]] },
    );
    for (const key of ['invoice:done', 'issue:done', 'pay:done', 'pay:refused', 'refund:done', 'refund:refused', 'void:done', 'void:refused', 'credit:done', 'applyCredit:done', 'dispute:done', 'dispute:refused',
      'milestone:done', 'billMilestone:done', 'billMilestone:refused', 'completeMilestone:done', 'completeMilestone:refused', 'time:done', 'time:refused',
      'submit:done', 'submit:refused', 'invoiceTime:done', 'invoiceTime:refused', 'payroll:done', 'payroll:refused']) {
      expect(tally.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  }, 300_000);
});
