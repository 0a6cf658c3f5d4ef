import { expect } from 'vitest';
import type { ApiResponse, TestHub } from '../testing/harness.js';

/** A JSON body as the harness returns it (checked against the OpenAPI document, loosely typed here). */
export type Json = ApiResponse['body'];

/** Test helpers of payments and reports (tests only): an organization with a customer and a tax rate, issued invoices, books checks. */

export interface Books {
  org: { id: string; apiKey: string };
  path: (rest: string) => string;
  customerId: string;
  /** 10% (1000 bp), to sales tax payable. */
  tax: string;
}

export type Posting = [code: string, direction: 'DEBIT' | 'CREDIT', amount: number, currency: string];

export async function setupBooks(hub: TestHub, name = 'Books Ltd', currency = 'USD'): Promise<Books> {
  const org = await hub.createOrganization(name, currency);
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const customer = await hub.request('POST', path('/customers'), { token: org.apiKey, body: { businessName: `${name} Customer`, email: 'ap@customer.example' } });
  const tax = await hub.request('POST', path('/tax-rates'), { token: org.apiKey, body: { name: 'Sales tax', basisPoints: 1000 } });
  expect([customer.status, tax.status]).toEqual([201, 201]);
  return { org, path, customerId: customer.body.id, tax: tax.body.id };
}

export async function post(hub: TestHub, books: Books, rest: string, body: unknown, status = 201): Promise<Json> {
  const res = await hub.request('POST', books.path(rest), { token: books.org.apiKey, body });
  expect(res.status, `POST ${rest} ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

export async function get(hub: TestHub, books: Books, rest: string): Promise<Json> {
  const res = await hub.request('GET', books.path(rest), { token: books.org.apiKey });
  expect(res.status, `GET ${rest} ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

/** A DRAFT invoice of free-text lines for the books' customer, issued (posted) at once. */
export async function issuedInvoice(hub: TestHub, books: Books, lines: Array<{ unitPrice: number; quantity?: string; taxed?: boolean }>, extra: Record<string, unknown> = {}): Promise<Json> {
  const draft = await post(hub, books, '/invoices', {
    customerId: books.customerId,
    lines: lines.map((l, i) => ({ description: `Line ${i + 1}`, quantity: l.quantity ?? '1', unitPrice: l.unitPrice, taxRateId: l.taxed ? books.tax : null })),
    ...extra,
  });
  return post(hub, books, `/invoices/${draft.id}/issue`, {}, 200);
}

/** The lines of a journal entry as [account code, direction, amount, currency], in entry order. */
export async function postingsOf(hub: TestHub, books: Books, entryId: string): Promise<Posting[]> {
  const entry = await get(hub, books, `/journal-entries/${entryId}`);
  return (entry.lines as Array<{ accountCode: string; direction: 'DEBIT' | 'CREDIT'; amount: number; currency: string }>).map((l) => [l.accountCode, l.direction, l.amount, l.currency]);
}

/** The events of one aggregate, oldest first. */
export async function eventsOf(hub: TestHub, books: Books, aggregateId: string): Promise<Json[]> {
  return (await get(hub, books, `/events?aggregateId=${aggregateId}&limit=100`)).data;
}

/** Events appended since `afterId` (every aggregate), oldest first. */
export async function eventsSince(hub: TestHub, books: Books, afterId: string | null): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `cursor=${cursor}` : afterId ? `after=${afterId}` : '';
    const page: { data: Json[]; nextCursor: string | null } = await get(hub, books, `/events?limit=100&${query}`);
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export async function lastEventId(hub: TestHub, books: Books): Promise<string | null> {
  const all = await eventsSince(hub, books, null);
  return all[all.length - 1]?.id ?? null;
}

/**
 * The invariants of the books, checked through the reports: the trial balance balances, the balance sheet
 * balances, and receivables equal the open balances of the invoices.
 */
export async function checkBooks(hub: TestHub, books: Books): Promise<{ receivables: number; openBalances: number }> {
  const far = '2999-12-31';
  const trial = await get(hub, books, `/reports/trial-balance?asOf=${far}`);
  expect(trial.balanced).toBe(true);
  expect(trial.totals.debit).toBe(trial.totals.credit);
  const sheet = await get(hub, books, `/reports/balance-sheet?asOf=${far}`);
  expect(sheet.balanced).toBe(true);
  expect(sheet.assets.total).toBe(sheet.liabilities.total + sheet.equity.total);
  const receivables = (sheet.assets.accounts as Array<{ code: string; amount: number }>).find((a) => a.code === '1100')?.amount ?? 0;
  const aging = await get(hub, books, `/reports/ar-aging?asOf=${far}`);
  expect(receivables).toBe(aging.totals.total);
  return { receivables, openBalances: aging.totals.total };
}

/** Row counts of every table a payment may write, to prove that a refused request wrote nothing. */
export async function writeCounts(hub: TestHub): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const table of ['payments', 'payment_applications', 'payment_refunds', 'journal_entries', 'journal_lines', 'events']) {
    out[table] = Number((await hub.db.knex(table).count({ n: '*' }).first())?.n);
  }
  out['invoices'] = JSON.stringify(await hub.db.knex('invoices').select('id', 'status', 'amount_paid', 'balance').orderBy('id'));
  out['balances'] = JSON.stringify(await hub.db.knex('account_balances').select('account_id', 'balance', 'currency_balances').orderBy('account_id'));
  return out;
}
