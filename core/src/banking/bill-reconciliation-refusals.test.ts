import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { get, post, setupBooks, type Books, type Json } from '../payments/testing.js';
import { checkAllBooks, purchasingCounts } from '../testing/purchasing-books.js';
import { GLS_DEBIT, importGlsDebit } from './testing.js';

const CSV = { format: 'CSV', csv: { columns: { date: 'Date', amount: 'Amount', description: ['Text'] } } };

/** What a refused match must leave as it was: every purchasing and ledger table, and the bank lines. */
async function writes(hub: TestHub): Promise<string> {
  const lines = await hub.db.knex('bank_transactions').select('id', 'status', 'payment_id', 'bill_payment_id', 'transfer_entry_id', 'matched_at').orderBy('id');
  return `${await purchasingCounts(hub)}|${JSON.stringify(lines)}|${Number((await hub.db.knex('payments').count({ n: '*' }).first())?.n)}`;
}

describe('bank debits and bills: refusals, races, atomicity and tenants', () => {
  let hub: TestHub;
  let runs = 0;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  interface Setup { books: Books; vendorId: string; bankAccountId: string; lineId: string }
  async function setup(): Promise<Setup> {
    const books = await setupBooks(hub, `Refusals ${++runs} GmbH`, 'EUR');
    const vendor = await post(hub, books, '/vendors', { name: GLS_DEBIT.counterparty });
    const bankAccountId = (await post(hub, books, '/bank-accounts', { name: 'GLS Giro', currency: 'EUR' })).id;
    return { books, vendorId: vendor.id, bankAccountId, lineId: await importGlsDebit(hub, books.org, bankAccountId) };
  }
  const bill = (s: Setup, amount: number): Promise<Json> =>
    post(hub, s.books, '/bills', { vendorId: s.vendorId, billDate: '2017-10-01', dueDate: '2017-10-10', lines: [{ description: 'Mobile plan', quantity: '1', unitCost: amount }] });
  const match = (s: Setup, id: string, body: unknown, token = s.books.org.apiKey, orgId = s.books.org.id) =>
    hub.request('POST', `/v1/organizations/${orgId}/bank-transactions/${id}/match`, { token, body });

  it('refuses a debit larger than the bill, a paid bill, another currency, the wrong direction and a bill payment from another account, and writes nothing', async () => {
    const s = await setup();
    const small = await bill(s, 5000);
    const settled = await bill(s, 9876);
    await post(hub, s.books, `/bills/${settled.id as string}/pay`, { date: '2017-10-05' });
    const cash = await post(hub, s.books, '/accounts', { code: '1090', name: 'Petty cash box', type: 'ASSET' });
    const fromCash = await post(hub, s.books, `/bills/${(await bill(s, 9876)).id as string}/pay`, { date: '2017-10-09', paidFromAccountId: cash.id });
    const open = await bill(s, 20000);
    const usd = (await post(hub, s.books, '/bank-accounts', { name: 'Dollar account', currency: 'USD' })).id;
    const imported = await hub.request('POST', s.books.path(`/bank-accounts/${usd}/imports`), { token: s.books.org.apiKey, body: { ...CSV, content: 'Date,Amount,Text\n2017-10-10,-98.76,Drillisch\n2017-10-11,98.76,Refund Drillisch\n' } });
    expect(imported.status).toBe(201);
    const usdLines = Object.fromEntries(((await get(hub, s.books, `/bank-transactions?bankAccountId=${usd}`)).data as Json[]).map((l) => [l.direction, l.id]));
    const before = await writes(hub);

    const refusals: Array<[string, unknown, number, string, RegExp]> = [
      [s.lineId, { billId: small.id }, 422, 'PAYMENT_EXCEEDS_BALANCE', /pays 9876; bill .* has 5000 left/],
      [s.lineId, { billId: settled.id }, 422, 'UNPROCESSABLE', /No open bill/],
      [s.lineId, { billPaymentId: fromCash.id }, 422, 'UNPROCESSABLE', /paid from another account/],
      [s.lineId, { billPaymentId: 'bpay_unknown1' }, 422, 'UNPROCESSABLE', /No open bill payment/],
      [s.lineId, { invoiceId: 'inv_01JD3X8A2M4N6P8Q0R2S4T6V8W' }, 422, 'UNPROCESSABLE', /is a debit: match it to a billId or billPaymentId/],
      [s.lineId, { billId: open.id, billPaymentId: fromCash.id }, 422, 'UNPROCESSABLE', /exactly one/],
      [usdLines['DEBIT'], { billId: open.id }, 422, 'UNPROCESSABLE', /in USD, .* in EUR/],
      [usdLines['CREDIT'], { billId: open.id }, 422, 'UNPROCESSABLE', /is a credit: match it to a paymentId or invoiceId/],
    ];
    for (const [lineId, body, status, code, detail] of refusals) {
      const res = await match(s, lineId, body);
      expect([res.status, res.body.code, res.headers.get('content-type')], JSON.stringify(body)).toEqual([status, code, expect.stringContaining('application/problem+json')]);
      expect(res.body.detail).toMatch(detail);
    }
    expect(await writes(hub)).toBe(before);
    await checkAllBooks(hub, s.books);
  });

  it('keeps tenants apart: another organization\'s bills are never suggested, and neither its bills nor its bank lines can be matched', async () => {
    const a = await setup();
    const b = await setup();
    const billOfA = await bill(a, 9876);
    expect(await post(hub, b.books, '/bank-reconciliation-runs', {}, 200)).toMatchObject({ considered: 1, matched: 0, suggested: 0 });
    expect((await get(hub, b.books, `/bank-transactions/${b.lineId}`)).suggestions).toEqual([]);
    const before = await writes(hub);
    const foreignBill = await match(b, b.lineId, { billId: billOfA.id });
    expect([foreignBill.status, foreignBill.body.detail]).toEqual([422, `No open bill (OPEN or PARTIALLY_PAID) ${billOfA.id as string} in this organization.`]);
    const foreignLine = await match(b, a.lineId, { billId: billOfA.id }, b.books.org.apiKey, b.books.org.id);
    expect(foreignLine.status).toBe(404);
    const otherKey = await match(a, a.lineId, { billId: billOfA.id }, b.books.org.apiKey);
    expect(otherKey.status).toBe(404);
    expect(await writes(hub)).toBe(before);
    // Its own organization finds it.
    expect(await post(hub, a.books, '/bank-reconciliation-runs', {}, 200)).toMatchObject({ suggested: 1 });
  });

  it('pays a bill once when two confirms of one line race, and when lines of two bank accounts race for one bill', async () => {
    const s = await setup();
    const open = await bill(s, 9876);
    const results = await Promise.all([1, 2, 3].map(() => match(s, s.lineId, { billId: open.id })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);

    const second = await bill(s, 9876);
    const accounts = await Promise.all([1, 2].map(async (i) => (await post(hub, s.books, '/bank-accounts', { name: `Race ${i}`, currency: 'EUR' })).id as string));
    const lines = await Promise.all(accounts.map((id) => importGlsDebit(hub, s.books.org, id)));
    const raced = await Promise.all(lines.map((id) => match(s, id, { billId: second.id })));
    // The loser finds the bill paid: before it looks (no open bill, 422) or while it waits for the bill's lock (409).
    const [loser, ...winners] = [...raced].sort((x, y) => y.status - x.status);
    expect(winners.map((r) => r.status)).toEqual([200]);
    expect([[422, 'UNPROCESSABLE'], [409, 'INVALID_STATE_TRANSITION']]).toContainEqual([loser?.status, loser?.body.code]);
    const payments = await hub.db.knex('bill_payments').where('organization_id', s.books.org.id).select('bill_id');
    expect(payments.map((p: { billId: string }) => p.billId).sort()).toEqual([open.id, second.id].sort());
    await checkAllBooks(hub, s.books);
  });

  it('writes the bill payment, its postings and the bank line\'s match together or not at all', async () => {
    const s = await setup();
    const open = await bill(s, 9876);
    // The database refuses to mark this line matched (after the bill payment and its postings are written in the same transaction).
    await hub.db.knex.raw(`CREATE FUNCTION refuse_match() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await hub.db.knex.raw(`CREATE TRIGGER refuse_match BEFORE UPDATE ON bank_transactions FOR EACH ROW WHEN (NEW.status = 'MATCHED' AND NEW.id = '${s.lineId}') EXECUTE FUNCTION refuse_match()`);
    const before = await writes(hub);
    const failed = await match(s, s.lineId, { billId: open.id });
    expect(failed.status).toBe(500);
    expect(await writes(hub)).toBe(before);
    expect(await get(hub, s.books, `/bills/${open.id as string}`)).toMatchObject({ status: 'OPEN', balance: 9876 });

    await hub.db.knex.raw('DROP TRIGGER refuse_match ON bank_transactions');
    await hub.db.knex.raw('DROP FUNCTION refuse_match()');
    const matched = await match(s, s.lineId, { billId: open.id });
    expect(matched.status).toBe(200);
    expect(await get(hub, s.books, `/bills/${open.id as string}`)).toMatchObject({ status: 'PAID', balance: 0 });
    await checkAllBooks(hub, s.books);
  });
});
