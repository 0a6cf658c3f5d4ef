import fc from 'fast-check';
import { expect } from 'vitest';
import type { EventMetadata, Invoice, Payment } from '@uah/schemas';
import type { CoreServices } from '../../core/src/core.js';
import { AppError } from '../../core/src/http/errors.js';
import type { TestHub } from '../../core/src/testing/harness.js';
import { checkProjectInvariants, projectOpArbitrary, projectSnapshot, runProjectOp, type ProjectOp } from './projects-model.js';
import { checkPurchasingInvariants, preparePurchasingOp, purchasingOpArbitrary, purchasingSnapshot, runPurchasingOp, type PurchasingOp, type PurchasingWorld } from './books-purchasing.js';

/**
 * Random operations on one organization's sales cycle, run through the services, and the invariants the
 * books must keep after every one of them (used by books.property.test.ts).
 */

export type Op =
  | PurchasingOp
  | { kind: 'invoice'; lines: Array<{ quantity: string; unitPrice: number; discountBp: number; taxed: boolean }>; issue: boolean }
  | { kind: 'issue'; pick: number }
  | { kind: 'pay'; pick: number; mode: 'partial' | 'full' | 'over' | 'exceed' | 'credit_only'; fraction: number; extra: number; fees: number; clearing: boolean }
  | { kind: 'refund'; pick: number; fraction: number; mode: 'part' | 'all' | 'exceed' }
  | { kind: 'void'; pick: number }
  | { kind: 'credit'; pick: number; fraction: number }
  | { kind: 'applyCredit'; pickPayment: number; pickInvoice: number }
  | { kind: 'dispute'; pick: number; fraction: number; mode: 'part' | 'all' | 'exceed'; outcome: 'WON' | 'LOST' }
  | ProjectOp;

const pick = fc.nat({ max: 1000 });
const fraction = fc.double({ min: 0.05, max: 0.95, noNaN: true });
const line = fc.record({
  quantity: fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 9999 })).map(([whole, dec]) => (dec === 0 ? String(whole) : `${whole}.${String(dec).padStart(4, '0')}`)),
  unitPrice: fc.integer({ min: 100, max: 100_000 }),
  discountBp: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
  taxed: fc.boolean(),
});

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('invoice' as const), lines: fc.array(line, { minLength: 1, maxLength: 3 }), issue: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('issue' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const), pick, mode: fc.constantFrom('partial' as const, 'full' as const, 'over' as const, 'exceed' as const, 'credit_only' as const),
      fraction, extra: fc.integer({ min: 1, max: 5000 }), fees: fc.integer({ min: 0, max: 300 }), clearing: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), pick, fraction, mode: fc.constantFrom('part' as const, 'all' as const, 'exceed' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('credit' as const), pick, fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('applyCredit' as const), pickPayment: pick, pickInvoice: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispute' as const), pick, fraction, mode: fc.constantFrom('part' as const, 'all' as const, 'exceed' as const), outcome: fc.constantFrom('WON' as const, 'LOST' as const) }) },
  { weight: 8, arbitrary: projectOpArbitrary },
  { weight: 4, arbitrary: purchasingOpArbitrary },
);

const META: EventMetadata = { source: 'SYSTEM' };
const OPEN = ['SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE'];
/** What a lost dispute took back from a payment: it counts with the refunds against the amount. */
const lost = (p: Payment): number => (p.dispute?.status === 'LOST' ? p.dispute.amount : 0);
const chosen = <T>(list: T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

export interface World extends PurchasingWorld {
  hub: TestHub;
  services: CoreServices;
  orgId: string;
  customerId: string;
  taxRateId: string;
  invoices: string[];
  payments: string[];
  /** A STARTED project of the customer that the projects operations work on. */
  projectId: string;
}

/** What an operation is expected to do: succeed, or be refused with one of these codes (and write nothing). */
type Expect = { ok: true } | { refused: string[] };

async function invoice(w: World, id: string | undefined): Promise<Invoice | undefined> {
  return id === undefined ? undefined : w.services.invoices.get(w.orgId, id);
}

async function payment(w: World, id: string | undefined): Promise<Payment | undefined> {
  return id === undefined ? undefined : w.services.payments.get(w.orgId, id);
}

/** What an operation needs in place before it runs (and before the snapshot a refusal is compared with). */
export async function prepareOp(w: World, op: Op): Promise<void> {
  await preparePurchasingOp(w, op as PurchasingOp);
}

/** Runs one operation; returns what was expected of it and what happened. */
export async function runOp(w: World, op: Op): Promise<{ expected: Expect; error?: AppError; skipped?: true }> {
  const s = w.services;
  const attempt = async (expected: Expect, work: () => Promise<unknown>) => {
    try {
      await work();
      return { expected };
    } catch (error) {
      if (error instanceof AppError && error.status < 500) return { expected, error };
      throw error;
    }
  };
  switch (op.kind) {
    case 'invoice':
      return attempt({ ok: true }, async () => {
        const lines = op.lines.map((l, i) => ({ description: `Item ${i + 1}`, quantity: l.quantity, unitPrice: l.unitPrice, taxRateId: l.taxed ? w.taxRateId : null, ...(l.discountBp ? { discount: { type: 'PERCENT' as const, basisPoints: l.discountBp } } : {}) }));
        const created = await s.invoices.create(w.orgId, { customerId: w.customerId, lines }, META);
        w.invoices.push(created.id);
        if (op.issue) await s.invoices.issue(w.orgId, created.id, {}, META);
      });
    case 'issue': {
      const inv = await invoice(w, chosen(w.invoices, op.pick));
      if (!inv) return { expected: { ok: true }, skipped: true };
      // A draft selling the tracked product is refused while there is not enough of it on hand.
      const wanted = inv.lines.filter((l) => l.productId === w.productId).reduce((sum, l) => sum + Number(l.quantity), 0);
      const available = Number((await s.inventory.inventory.stockLevel(w.orgId, w.productId)).quantityOnHand);
      const expected: Expect = inv.status !== 'DRAFT' ? { refused: ['INVALID_STATE_TRANSITION'] } : wanted > available ? { refused: ['INSUFFICIENT_STOCK'] } : { ok: true };
      return attempt(expected, () => s.invoices.issue(w.orgId, inv.id, {}, META));
    }
    case 'pay':
      return pay(w, op, attempt);
    case 'refund': {
      const p = await payment(w, chosen(w.payments, op.pick));
      if (!p) return { expected: { ok: true }, skipped: true };
      const refundable = p.amount - p.amountRefunded - lost(p);
      if (p.status !== 'COMPLETED') return attempt({ refused: ['INVALID_STATE_TRANSITION'] }, () => s.payments.refund(w.orgId, p.id, {}, META));
      if (op.mode === 'exceed') return attempt({ refused: ['REFUND_EXCEEDS_REFUNDABLE'] }, () => s.payments.refund(w.orgId, p.id, { amount: refundable + 1 }, META));
      const amount = op.mode === 'all' ? undefined : Math.max(1, Math.floor(refundable * op.fraction));
      return attempt({ ok: true }, () => s.payments.refund(w.orgId, p.id, amount === undefined ? {} : { amount }, META));
    }
    case 'void': {
      const inv = await invoice(w, chosen(w.invoices, op.pick));
      if (!inv) return { expected: { ok: true }, skipped: true };
      const expected: Expect = inv.status === 'CANCELLED' ? { refused: ['INVALID_STATE_TRANSITION'] } : inv.amountPaid > 0 || inv.amountCredited > 0 ? { refused: ['INVOICE_HAS_PAYMENTS', 'INVALID_STATE_TRANSITION'] } : { ok: true };
      return attempt(expected, () => s.invoices.void(w.orgId, inv.id, {}, META));
    }
    case 'credit': {
      const inv = await invoice(w, chosen(w.invoices, op.pick));
      if (!inv) return { expected: { ok: true }, skipped: true };
      const open = OPEN.includes(inv.status) && inv.balance > 0;
      const amount = open ? Math.max(1, Math.floor(inv.balance * op.fraction)) : 1;
      return attempt(open ? { ok: true } : { refused: ['UNPROCESSABLE', 'CREDIT_EXCEEDS_BALANCE', 'INVALID_STATE_TRANSITION'] }, () => s.creditNotes.create(w.orgId, { invoiceId: inv.id, amount }, META));
    }
    case 'dispute':
      return dispute(w, op, attempt);
    case 'bill':
    case 'payBill':
    case 'bankDebit':
    case 'sellStock':
    case 'adjust':
      return runPurchasingOp(w, op, attempt);
    case 'applyCredit': {
      const p = await payment(w, chosen(w.payments, op.pickPayment));
      const inv = await invoice(w, chosen(w.invoices, op.pickInvoice));
      if (!p || !inv || p.status !== 'COMPLETED' || p.unappliedAmount === 0 || !OPEN.includes(inv.status) || inv.balance === 0) return { expected: { ok: true }, skipped: true };
      return attempt({ ok: true }, () => s.payments.apply(w.orgId, p.id, { applications: [{ invoiceId: inv.id, amount: Math.min(p.unappliedAmount, inv.balance) }] }, META));
    }
    default:
      return runProjectOp(w, op, attempt);
  }
}

type Attempt = (expected: Expect, work: () => Promise<unknown>) => Promise<{ expected: Expect; error?: AppError }>;

async function pay(w: World, op: Extract<Op, { kind: 'pay' }>, attempt: Attempt): Promise<{ expected: Expect; error?: AppError; skipped?: true }> {
  const base = { customerId: w.customerId, method: 'CARD' as const, depositAccount: op.clearing ? ('payment_clearing' as const) : ('bank' as const) };
  const record = async (amount: number, applications: Array<{ invoiceId: string; amount: number }>) => {
    const created = await w.services.payments.create(w.orgId, { ...base, amount, fees: Math.min(op.fees, amount), applications }, META);
    w.payments.push(created.id);
  };
  if (op.mode === 'credit_only') return attempt({ ok: true }, () => record(op.extra, []));
  const inv = await invoice(w, chosen(w.invoices, op.pick));
  if (!inv) return { expected: { ok: true }, skipped: true };
  const open = OPEN.includes(inv.status) && inv.balance > 0;
  if (!open) return attempt({ refused: ['UNPROCESSABLE', 'PAYMENT_EXCEEDS_BALANCE'] }, () => record(Math.max(inv.balance, 1), [{ invoiceId: inv.id, amount: Math.max(inv.balance, 1) }]));
  const amounts: Record<Exclude<typeof op.mode, 'credit_only'>, [number, number]> = {
    partial: [Math.max(1, Math.floor(inv.balance * op.fraction)), Math.max(1, Math.floor(inv.balance * op.fraction))],
    full: [inv.balance, inv.balance],
    over: [inv.balance + op.extra, inv.balance],
    exceed: [inv.balance + 1, inv.balance + 1],
  };
  const [amount, applied] = amounts[op.mode];
  return attempt(op.mode === 'exceed' ? { refused: ['PAYMENT_EXCEEDS_BALANCE'] } : { ok: true }, () => record(amount, [{ invoiceId: inv.id, amount: applied }]));
}

/** Opens a dispute on a payment and resolves it at once (so the invariants are checked on settled books). */
async function dispute(w: World, op: Extract<Op, { kind: 'dispute' }>, attempt: Attempt): Promise<{ expected: Expect; error?: AppError; skipped?: true }> {
  const p = await payment(w, chosen(w.payments, op.pick));
  if (!p) return { expected: { ok: true }, skipped: true };
  const s = w.services.payments;
  if (p.status !== 'COMPLETED' || p.dispute !== null) return attempt({ refused: ['INVALID_STATE_TRANSITION'] }, () => s.dispute(w.orgId, p.id, { reason: 'GENERAL' }, META));
  const disputable = p.amount - p.amountRefunded;
  if (op.mode === 'exceed') return attempt({ refused: ['DISPUTE_EXCEEDS_DISPUTABLE'] }, () => s.dispute(w.orgId, p.id, { reason: 'FRAUDULENT', amount: disputable + 1 }, META));
  const amount = op.mode === 'all' ? {} : { amount: Math.max(1, Math.floor(disputable * op.fraction)) };
  return attempt({ ok: true }, async () => {
    await s.dispute(w.orgId, p.id, { reason: 'PRODUCT_NOT_RECEIVED', ...amount }, META);
    await s.resolveDispute(w.orgId, p.id, { outcome: op.outcome }, META);
  });
}

/** Everything of the organization a refused request must leave untouched. */
export async function snapshot(hub: TestHub, orgId: string): Promise<string> {
  const k = hub.db.knex;
  const count = async (table: string) => Number((await k(table).where('organization_id', orgId).count({ n: '*' }).first())?.n);
  return JSON.stringify({
    entries: await count('journal_entries'),
    payments: await count('payments'),
    events: await count('events'),
    creditNotes: await count('credit_notes'),
    invoices: await k('invoices').where('organization_id', orgId).select('id', 'status', 'amount_paid', 'amount_credited', 'balance').orderBy('id'),
    balances: await k('account_balances').where('organization_id', orgId).select('account_id', 'balance').orderBy('account_id'),
    projects: await projectSnapshot(hub, orgId),
    purchasing: await purchasingSnapshot(hub, orgId),
  });
}

async function all<T>(list: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * The AR aging, read from the postings, totals the receivables account (today and at any later date), and
 * each invoice it lists owes exactly the invoice's own balance: the subledger agrees with the documents.
 */
async function checkAging(w: World, invoices: Invoice[], receivables: number): Promise<void> {
  const { services: s, orgId } = w;
  const today = await s.reports.arAging(orgId, {});
  const trialToday = await s.reports.trialBalance(orgId, { asOf: today.asOf });
  const ar = trialToday.accounts.find((a) => a.code === '1100');
  expect(today.totals.total).toBe(ar ? ar.debit - ar.credit : 0);
  const later = await s.reports.arAging(orgId, { asOf: '2999-12-31' });
  expect(later.totals.total).toBe(receivables);
  expect(later.unallocated.entries).toEqual([]);
  const aged = new Map(later.customers.flatMap((c) => c.invoices.map((i) => [i.invoiceId, i.balance])));
  const owed = new Map(invoices.filter((i) => OPEN.includes(i.status) && i.balance > 0).map((i) => [i.id, i.balance]));
  expect(aged).toEqual(owed);
}

/** The invariants of the books, after any operation. */
export async function checkInvariants(w: World): Promise<void> {
  const { services: s, orgId } = w;
  const far = '2999-12-31';
  const trial = await s.reports.trialBalance(orgId, { asOf: far });
  expect(trial.balanced).toBe(true);
  const balances = await s.ledger.accountBalances(orgId, {});
  expect(balances.reduce((sum, b) => sum + b.balance, 0)).toBe(0);
  // Cached balances (kept by the posting statement) equal the sums of the postings.
  const cached = await s.ledger.accounts.all(orgId);
  expect(cached.map((a) => [a.code, a.balance])).toEqual(balances.map((b) => [b.account.code, b.balance]));

  const invoices = await all((cursor) => s.invoices.list(orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
  const payments = await all((cursor) => s.payments.list(orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
  for (const inv of invoices) {
    // A voided invoice is owed by nobody (and voiding is refused while anything is paid or credited).
    expect(inv.balance, inv.id).toBe(inv.status === 'CANCELLED' ? 0 : inv.total - inv.amountPaid - inv.amountCredited);
    expect(inv.balance).toBeGreaterThanOrEqual(0);
    const paid = payments.flatMap((p) => p.applications).filter((a) => a.invoiceId === inv.id && a.appliedAt !== null).reduce((sum, a) => sum + a.amount - a.amountRefunded, 0);
    expect(paid, `paid on ${inv.id}`).toBe(inv.amountPaid);
  }
  const open = (await s.invoices.listOpen(orgId, far)).reduce((sum, inv) => sum + inv.balance, 0);
  const balanceOf = (key: string) => balances.find((b) => b.account.systemKey === key)?.balance ?? 0;
  expect(balanceOf('receivables')).toBe(open);
  expect(open).toBe(invoices.filter((i) => OPEN.includes(i.status)).reduce((sum, i) => sum + i.balance, 0));
  await checkAging(w, invoices, balanceOf('receivables'));
  for (const p of payments) {
    expect(p.unappliedAmount).toBeGreaterThanOrEqual(0);
    if (p.status === 'COMPLETED' || p.status === 'REFUNDED') expect(p.appliedAmount + p.unappliedAmount).toBe(p.amount - p.amountRefunded - lost(p));
    if (p.status === 'REFUNDED') expect(p.amountRefunded + lost(p)).toBe(p.amount);
  }
  // Every dispute is resolved within its operation: nothing is left in disputed funds.
  expect(balanceOf('disputed_funds')).toBe(0);
  // Customer credits is a liability: its credit balance is the credit left on the payments.
  expect(balanceOf('customer_credits') + payments.reduce((sum, p) => sum + p.unappliedAmount, 0)).toBe(0);
  const sheet = await s.reports.balanceSheet(orgId, { asOf: far });
  expect(sheet.balanced).toBe(true);
  await checkProjectInvariants(w, balances);
  await checkPurchasingInvariants(w.hub, w, balanceOf);
}
