import fc from 'fast-check';
import { expect } from 'vitest';
import type { Bill, EventMetadata } from '@uah/schemas';
import type { CoreServices } from '../../core/src/core.js';
import type { AppError } from '../../core/src/http/errors.js';
import type { TestHub } from '../../core/src/testing/harness.js';
import { todayUtc } from '../../core/src/sales/dates.js';

/**
 * The purchasing and inventory side of the books property (books-model.ts): random bills (expense and
 * stock lines), bill payments, bank debits reconciled with bills, sales of a tracked product and stock
 * adjustments, and the invariants of payables, stock and the bank lines matched to bill payments.
 */

export type PurchasingOp =
  | { kind: 'bill'; lines: Array<{ stock: boolean; quantity: string; unitCost: number; taxed: boolean }> }
  | { kind: 'payBill'; pick: number; mode: 'partial' | 'full' | 'exceed'; fraction: number }
  | { kind: 'bankDebit'; pick: number; mode: 'partial' | 'full' | 'exceed'; fraction: number }
  | { kind: 'sellStock'; quantity: string; issue: boolean }
  | { kind: 'adjust'; quantity: string; down: boolean; unitCost: number | null };

export interface PurchasingWorld {
  services: CoreServices;
  orgId: string;
  customerId: string;
  taxRateId: string;
  vendorId: string;
  /** A product that tracks inventory, reorder point 5. */
  productId: string;
  bills: string[];
  invoices: string[];
  /** The bank account the statements of `bankDebit` are imported into (made by the first one). */
  bankAccountId?: string;
  /** The debit line the next `bankDebit` matches, imported before the operation's snapshot. */
  debitLine?: { id: string; billId: string };
}

type Expect = { ok: true } | { refused: string[] };
type Attempt = (expected: Expect, work: () => Promise<unknown>) => Promise<{ expected: Expect; error?: AppError; skipped?: true }>;

const META: EventMetadata = { source: 'SYSTEM' };
const quantity = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 0, 0, 5, 25, 3333)).map(([w, d]) => (d === 0 ? String(w) : `${w}.${String(d).padStart(4, '0')}`));
const fraction = fc.double({ min: 0.05, max: 0.95, noNaN: true });
const pick = fc.nat({ max: 1000 });

export const purchasingOpArbitrary: fc.Arbitrary<PurchasingOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bill' as const), lines: fc.array(fc.record({ stock: fc.boolean(), quantity, unitCost: fc.integer({ min: 0, max: 50_000 }), taxed: fc.boolean() }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('payBill' as const), pick, mode: fc.constantFrom('partial' as const, 'full' as const, 'exceed' as const), fraction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bankDebit' as const), pick, mode: fc.constantFrom('partial' as const, 'full' as const, 'exceed' as const), fraction }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sellStock' as const), quantity, issue: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjust' as const), quantity, down: fc.boolean(), unitCost: fc.option(fc.integer({ min: 0, max: 20_000 })) }) },
);

const asNumber = (q: string): number => Number(q);
const decimal = (minor: number): string => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
let statements = 0;

/**
 * What an operation needs before it runs, done before the snapshot a refused operation is compared with:
 * the bank statement whose debit a `bankDebit` matches to a bill (its amount a part of the bill's balance,
 * all of it, or one more; 1 for a paid bill).
 */
export async function preparePurchasingOp(w: PurchasingWorld, op: PurchasingOp): Promise<void> {
  delete w.debitLine;
  if (op.kind !== 'bankDebit') return;
  const id = w.bills.length === 0 ? undefined : w.bills[op.pick % w.bills.length];
  if (id === undefined) return;
  const s = w.services;
  const bill = await s.purchasing.bills.get(w.orgId, id);
  const amount = bill.balance === 0 ? 1 : { partial: Math.max(1, Math.floor(bill.balance * op.fraction)), full: bill.balance, exceed: bill.balance + 1 }[op.mode];
  w.bankAccountId ??= (await s.banking.accounts.create(w.orgId, { name: 'Operating', currency: bill.currency }, META)).id;
  const content = `Date,Amount,Text\n${todayUtc()},-${decimal(amount)},Transfer ${++statements} to Random Vendor\n`;
  const imported = await s.banking.imports.import(w.orgId, w.bankAccountId, { format: 'CSV', content, csv: { columns: { date: 'Date', amount: 'Amount', description: ['Text'] } } }, META);
  const [line] = (await s.banking.transactions.list(w.orgId, { limit: 1, importId: imported.id })).data;
  if (line) w.debitLine = { id: line.id, billId: id };
}

async function onHand(w: PurchasingWorld): Promise<number> {
  return asNumber((await w.services.inventory.inventory.stockLevel(w.orgId, w.productId)).quantityOnHand);
}

/** Runs one purchasing or inventory operation; returns what was expected and what happened. */
export async function runPurchasingOp(w: PurchasingWorld, op: PurchasingOp, attempt: Attempt): Promise<{ expected: Expect; error?: AppError; skipped?: true }> {
  const s = w.services;
  switch (op.kind) {
    case 'bill':
      return attempt({ ok: true }, async () => {
        const lines = op.lines.map((l, i) => ({ ...(l.stock ? { productId: w.productId } : { description: `Cost ${i + 1}` }), quantity: l.quantity, unitCost: l.unitCost, ...(l.taxed ? { taxRateId: w.taxRateId } : {}) }));
        w.bills.push((await s.purchasing.bills.create(w.orgId, { vendorId: w.vendorId, lines }, META)).id);
      });
    case 'payBill': {
      const id = w.bills.length === 0 ? undefined : w.bills[op.pick % w.bills.length];
      if (id === undefined) return { expected: { ok: true }, skipped: true };
      const bill: Bill = await s.purchasing.bills.get(w.orgId, id);
      if (bill.status === 'PAID') return attempt({ refused: ['INVALID_STATE_TRANSITION'] }, () => s.purchasing.billPayments.pay(w.orgId, id, {}, META));
      const amount = { partial: Math.max(1, Math.floor(bill.balance * op.fraction)), full: bill.balance, exceed: bill.balance + 1 }[op.mode];
      return attempt(op.mode === 'exceed' ? { refused: ['PAYMENT_EXCEEDS_BALANCE'] } : { ok: true }, () => s.purchasing.billPayments.pay(w.orgId, id, { amount }, META));
    }
    case 'bankDebit': {
      if (!w.debitLine) return { expected: { ok: true }, skipped: true };
      const { id, billId } = w.debitLine;
      const [bill, line] = [await s.purchasing.bills.get(w.orgId, billId), await s.banking.transactions.get(w.orgId, id)];
      const expected: Expect = bill.balance === 0 ? { refused: ['UNPROCESSABLE'] } : -line.amount > bill.balance ? { refused: ['PAYMENT_EXCEEDS_BALANCE'] } : { ok: true };
      return attempt(expected, () => s.banking.reconciliation.match(w.orgId, id, { billId }, META));
    }
    case 'sellStock': {
      // Issued at once only when there is enough on hand: a draft that asks for more stays a draft, for the
      // `issue` operation to be refused on later (a refused operation must write nothing, the draft included).
      const available = await onHand(w);
      return attempt({ ok: true }, async () => {
        const draft = await s.invoices.create(w.orgId, { customerId: w.customerId, lines: [{ productId: w.productId, quantity: op.quantity }] }, META);
        w.invoices.push(draft.id);
        if (op.issue && asNumber(op.quantity) <= available) await s.invoices.issue(w.orgId, draft.id, {}, META);
      });
    }
    case 'adjust': {
      const available = await onHand(w);
      const change = op.down ? `-${op.quantity}` : op.quantity;
      const expected: Expect = op.down && asNumber(op.quantity) > available ? { refused: ['INSUFFICIENT_STOCK'] } : { ok: true };
      return attempt(expected, () => s.inventory.adjustments.create(w.orgId, { productId: w.productId, quantityChange: change, reason: op.down ? 'DAMAGED' : 'FOUND', ...(op.unitCost !== null ? { unitCost: op.unitCost } : {}) }, META));
    }
  }
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
 * Payables and stock: the payables account's credit balance equals the open bills' balances and the AP aging
 * total (from the postings), each aged bill owing its own balance; every bill's balance is total − paid, paid
 * being the sum of its payments; the stock equals the sum of its movements, never below zero, and the
 * inventory account equals Σ(quantity × average unit cost), which is the sum of the stock values.
 */
export async function checkPurchasingInvariants(hub: TestHub, w: PurchasingWorld, balanceOf: (key: string) => number): Promise<void> {
  const s = w.services;
  const bills = await all((cursor) => s.purchasing.bills.list(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
  const payments = await all((cursor) => s.purchasing.billPayments.list(w.orgId, { limit: 100, ...(cursor ? { cursor } : {}) }));
  for (const bill of bills) {
    expect(bill.balance, bill.id).toBe(bill.total - bill.amountPaid);
    expect(bill.balance).toBeGreaterThanOrEqual(0);
    expect(payments.filter((p) => p.billId === bill.id).reduce((sum, p) => sum + p.amount, 0)).toBe(bill.amountPaid);
  }
  const open = bills.reduce((sum, b) => sum + b.balance, 0);
  expect(0 - balanceOf('payables')).toBe(open);
  // A bank debit matched with a bill payment paid exactly the debit, from the bank; no bill payment is matched twice.
  const matched = await all((cursor) => s.banking.transactions.list(w.orgId, { limit: 100, status: 'MATCHED', direction: 'DEBIT', ...(cursor ? { cursor } : {}) }));
  const byId = new Map(payments.map((p) => [p.id, p]));
  for (const line of matched) expect(byId.get(line.match?.billPaymentId ?? '')?.amount, line.id).toBe(-line.amount);
  expect(new Set(matched.map((l) => l.match?.billPaymentId)).size).toBe(matched.length);
  for (const asOf of [undefined, '2999-12-31']) {
    const aging = await s.reports.apAging(w.orgId, asOf ? { asOf } : {});
    expect(aging.totals.total).toBe(0 - balanceOf('payables'));
    expect(aging.unallocated.entries).toEqual([]);
    const aged = new Map(aging.vendors.flatMap((v) => v.bills.map((b) => [b.billId, b.balance])));
    expect(aged).toEqual(new Map(bills.filter((b) => b.balance > 0).map((b) => [b.id, b.balance])));
  }

  const level = await s.inventory.inventory.stockLevel(w.orgId, w.productId);
  const moved = (await hub.db.knex.raw<{ rows: Array<{ quantity: string | null; value: string | null }> }>(
    'SELECT sum(quantity)::text AS quantity, sum(value)::text AS value FROM inventory_movements WHERE organization_id = ? AND product_id = ?', [w.orgId, w.productId])).rows[0];
  expect(asNumber(level.quantityOnHand)).toBe(asNumber(moved?.quantity ?? '0'));
  expect(level.value).toBe(Number(moved?.value ?? 0));
  expect(asNumber(level.quantityOnHand)).toBeGreaterThanOrEqual(0);
  expect(level.value).toBeGreaterThanOrEqual(0);
  expect(balanceOf('inventory')).toBe(level.value);
  // The average is value ÷ quantity kept to 6 decimals of a minor unit: quantity × average is the value to within that rounding.
  const product = asNumber(level.quantityOnHand) * asNumber(level.averageUnitCost);
  expect(Math.abs(product - level.value)).toBeLessThanOrEqual(asNumber(level.quantityOnHand) * 0.000001 + 1e-6);
  if (asNumber(level.quantityOnHand) === 0) expect(level.value).toBe(0);
}

/** The purchasing and inventory rows a refused operation must leave as they were. */
export async function purchasingSnapshot(hub: TestHub, orgId: string): Promise<unknown> {
  const k = hub.db.knex;
  return {
    bankLines: await k('bank_transactions').where('organization_id', orgId).select('id', 'status', 'bill_payment_id').orderBy('id'),
    bills: await k('bills').where('organization_id', orgId).select('id', 'status', 'amount_paid', 'balance').orderBy('id'),
    billPayments: Number((await k('bill_payments').where('organization_id', orgId).count({ n: '*' }).first())?.n),
    movements: Number((await k('inventory_movements').where('organization_id', orgId).count({ n: '*' }).first())?.n),
    adjustments: Number((await k('inventory_adjustments').where('organization_id', orgId).count({ n: '*' }).first())?.n),
    stock: (await k.raw<{ rows: unknown[] }>('SELECT product_id, quantity::text, value, low FROM stock_levels WHERE organization_id = ? ORDER BY product_id', [orgId])).rows,
  };
}
