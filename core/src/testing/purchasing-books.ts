import { expect } from 'vitest';
import type { TestHub } from './harness.js';
import { checkBooks, get, type Books } from '../payments/testing.js';

/** Test helpers of purchasing and inventory (tests only). */

/** Every page of a list route. */
export async function listAll(hub: TestHub, books: Books, rest: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const page: { data: Array<Record<string, unknown>>; nextCursor: string | null } = await get(hub, books, `${rest}${rest.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * The books checks of the sales side (trial balance, balance sheet, AR aging), plus the AP side and stock:
 * the AP aging total (from the postings) is the payables credit balance and the sum of the open bills'
 * balances, each aged bill owing exactly its balance; every stock level equals the sum of its movements,
 * and the inventory account equals the sum of the stock values.
 */
export async function checkAllBooks(hub: TestHub, books: Books): Promise<void> {
  await checkBooks(hub, books);
  const far = '2999-12-31';
  const trial = await get(hub, books, `/reports/trial-balance?asOf=${far}&includeZero=true`);
  const line = (code: string) => (trial.accounts as Array<{ code: string; debit: number; credit: number }>).find((a) => a.code === code);
  const payables = (line('2000')?.credit ?? 0) - (line('2000')?.debit ?? 0);
  const aging = await get(hub, books, `/reports/ap-aging?asOf=${far}`);
  expect(aging.totals.total).toBe(payables);
  const bills = await listAll(hub, books, '/bills');
  const open = bills.filter((b) => (b['balance'] as number) > 0);
  expect(open.reduce((s, b) => s + (b['balance'] as number), 0)).toBe(payables);
  const aged = new Map((aging.vendors as Array<{ bills: Array<{ billId: string; balance: number }> }>).flatMap((v) => v.bills.map((b) => [b.billId, b.balance])));
  expect(aged).toEqual(new Map(open.map((b) => [b['id'], b['balance']])));

  const levels = await listAll(hub, books, '/inventory');
  const movements = await hub.db.knex.raw<{ rows: Array<{ productId: string; quantity: string; value: string }> }>(
    `SELECT product_id AS "productId", sum(quantity)::text AS quantity, sum(value)::text AS value FROM inventory_movements WHERE organization_id = ? GROUP BY product_id`, [books.org.id]);
  const moved = new Map(movements.rows.map((r) => [r.productId, r]));
  for (const level of levels) {
    const m = moved.get(level['productId'] as string);
    expect(Number(level['quantityOnHand']), `stock of ${String(level['sku'])}`).toBe(Number(m?.quantity ?? 0));
    expect(level['value']).toBe(Number(m?.value ?? 0));
  }
  const inventory = (line('1200')?.debit ?? 0) - (line('1200')?.credit ?? 0);
  expect(levels.reduce((s, l) => s + (l['value'] as number), 0)).toBe(inventory);
}

/** Row counts of every table a purchasing or inventory write may touch, to prove a refused request wrote nothing. */
export async function purchasingCounts(hub: TestHub): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const table of ['vendors', 'purchase_orders', 'bills', 'bill_payments', 'expenses', 'inventory_movements', 'inventory_adjustments', 'journal_entries', 'journal_lines', 'events']) {
    out[table] = Number((await hub.db.knex(table).count({ n: '*' }).first())?.n);
  }
  out['bills'] = JSON.stringify(await hub.db.knex('bills').select('id', 'status', 'amount_paid', 'balance').orderBy('id'));
  out['orders'] = JSON.stringify(await hub.db.knex('purchase_orders').select('id', 'status', 'lines').orderBy('id'));
  out['stock'] = JSON.stringify(await hub.db.knex.raw('SELECT product_id, quantity::text, value, low FROM stock_levels ORDER BY product_id').then((r: { rows: unknown[] }) => r.rows));
  out['balances'] = JSON.stringify(await hub.db.knex('account_balances').select('account_id', 'balance').orderBy('account_id'));
  return JSON.stringify(out);
}
