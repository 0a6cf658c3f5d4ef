import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventsOf, get, post, postingsOf, setupBooks, type Books, type Json } from '../payments/testing.js';
import { checkAllBooks, purchasingCounts } from '../testing/purchasing-books.js';
import { GLS_DEBIT, importGlsDebit } from './testing.js';

/**
 * Bank debits reconciled with bills, from a real statement (GLS Bank's CSV: one direct debit of 98,76 EUR to
 * Drillisch Online AG). Each test keeps its own organization: every open bill of an organization is a
 * candidate for every debit of it.
 */
describe('reconciliation of bank debits with bills', () => {
  let hub: TestHub;
  let runs = 0;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  interface Setup { books: Books; vendorId: string; accounts: Record<string, string> }
  async function setup(): Promise<Setup> {
    const books = await setupBooks(hub, `Debits ${++runs} GmbH`, 'EUR');
    const vendor = await post(hub, books, '/vendors', { name: GLS_DEBIT.counterparty, paymentTermsDays: 10 });
    const list = await get(hub, books, '/accounts?limit=100');
    return { books, vendorId: vendor.id, accounts: Object.fromEntries((list.data as Json[]).map((a) => [a.code, a.id])) };
  }
  const bill = (s: Setup, amount: number, extra: Record<string, unknown> = {}): Promise<Json> =>
    post(hub, s.books, '/bills', { vendorId: s.vendorId, billDate: '2017-10-01', lines: [{ description: 'Mobile plan', quantity: '1', unitCost: amount, accountId: s.accounts['6900'] }], ...extra });
  const line = (s: Setup, id: string): Promise<Json> => get(hub, s.books, `/bank-transactions/${id}`);
  const billPayment = (s: Setup, id: string): Promise<Json> => hub.core.services.purchasing.billPayments.get(s.books.org.id, id);
  const match = (s: Setup, id: string, body: unknown, headers: Record<string, string> = {}) => hub.request('POST', s.books.path(`/bank-transactions/${id}/match`), { token: s.books.org.apiKey, body, headers });

  it('suggests the open bill a debit pays; confirming it pays the bill from the bank, posted, with bill.paid caused by the bank line; a repeated confirm writes nothing', async () => {
    const s = await setup();
    const open = await bill(s, 9876);
    expect(open).toMatchObject({ status: 'OPEN', dueDate: '2017-10-11', balance: 9876, currency: 'EUR' });
    const bankAccountId = (await post(hub, s.books, '/bank-accounts', { name: 'GLS Giro', currency: 'EUR' })).id;
    const lineId = await importGlsDebit(hub, s.books.org, bankAccountId);

    // Equal amount, one day from the due date, the vendor's name: 0.5 + 0.1 × 7/8 + 0.1, below the threshold.
    expect(await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId }, 200)).toMatchObject({ considered: 1, matched: 0, suggested: 1, unmatched: 0 });
    const suggested = await line(s, lineId);
    expect(suggested).toMatchObject({ status: 'UNMATCHED', match: null, suggestions: [{ kind: 'BILL', id: open.id, amount: 9876, currency: 'EUR', date: '2017-10-11', score: 0.688 }] });

    const confirm = await match(s, lineId, { billId: open.id }, { 'idempotency-key': `confirm-${lineId}` });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    expect(confirm.body).toMatchObject({ status: 'MATCHED', suggestions: [], match: { paymentId: null, billPaymentId: expect.stringMatching(/^bpay_/), method: 'MANUAL', confidence: 0.688, transferEntryId: null } });
    const paid = await billPayment(s, confirm.body.match.billPaymentId);
    expect(paid).toMatchObject({ billId: open.id, amount: 9876, currency: 'EUR', date: GLS_DEBIT.date, paidFromAccountId: s.accounts['1000'], bill: { status: 'PAID', amountPaid: 9876, balance: 0 } });
    expect(await postingsOf(hub, s.books, paid.journalEntryId)).toEqual([['2000', 'DEBIT', 9876, 'EUR'], ['1000', 'CREDIT', 9876, 'EUR']]);
    const [event, ...more] = (await eventsOf(hub, s.books, open.id)).filter((e) => e.type === 'bill.paid');
    expect(more).toEqual([]);
    expect(event).toMatchObject({ aggregateType: 'bill', data: { object: { id: paid.id, amount: 9876 } }, metadata: { causationId: lineId, source: 'API' } });
    expect((await get(hub, s.books, `/journal-entries/${paid.journalEntryId as string}`)).source).toEqual({ type: 'bill_payment', id: paid.id });
    expect(await get(hub, s.books, `/bank-transactions?billPaymentId=${paid.id as string}`)).toMatchObject({ data: [{ id: lineId }] });
    await checkAllBooks(hub, s.books);

    // The same confirm again: replayed with its key, refused without; neither writes.
    const before = await purchasingCounts(hub);
    const replay = await match(s, lineId, { billId: open.id }, { 'idempotency-key': `confirm-${lineId}` });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([200, 'true', confirm.body]);
    const again = await match(s, lineId, { billId: open.id });
    expect([again.status, again.body.code]).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await purchasingCounts(hub)).toBe(before);
  });

  it('matches automatically a debit that quotes the bill\'s number, paid from the bank account\'s own ledger account; unmatched, the bill payment stays and is matched again without a second payment', async () => {
    const s = await setup();
    const open = await bill(s, 9876, { vendorReference: GLS_DEBIT.reference, dueDate: '2017-10-10' });
    const giro = await post(hub, s.books, '/accounts', { code: '1010', name: 'GLS giro account', type: 'ASSET' });
    const bankAccountId = (await post(hub, s.books, '/bank-accounts', { name: 'GLS Giro', currency: 'EUR', ledgerAccountId: giro.id })).id;
    const lineId = await importGlsDebit(hub, s.books.org, bankAccountId);

    const dry = await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId, dryRun: true }, 200);
    expect(dry.matches).toEqual([{ bankTransactionId: lineId, kind: 'BILL', itemId: open.id, paymentId: null, billPaymentId: null, payoutId: null, confidence: 1 }]);
    expect((await get(hub, s.books, `/bills/${open.id as string}`)).status).toBe('OPEN');
    const run = await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run).toMatchObject({ considered: 1, matched: 1, suggested: 0, unmatched: 0 });
    const [done] = run.matches;
    expect(done).toMatchObject({ bankTransactionId: lineId, kind: 'BILL', itemId: open.id, paymentId: null, billPaymentId: expect.stringMatching(/^bpay_/), confidence: 1 });
    const paid = await billPayment(s, done.billPaymentId);
    expect(paid).toMatchObject({ paidFromAccountId: giro.id, amount: 9876, bill: { status: 'PAID' } });
    expect(await postingsOf(hub, s.books, paid.journalEntryId)).toEqual([['2000', 'DEBIT', 9876, 'EUR'], ['1010', 'CREDIT', 9876, 'EUR']]);
    expect(await line(s, lineId)).toMatchObject({ status: 'MATCHED', match: { billPaymentId: paid.id, method: 'AUTO', confidence: 1, transferEntryId: null } });
    expect((await eventsOf(hub, s.books, open.id)).filter((e) => e.type === 'bill.paid').map((e) => e.metadata.causationId)).toEqual([lineId]);
    await checkAllBooks(hub, s.books);

    const entries = (await get(hub, s.books, '/journal-entries?limit=100')).data.length;
    const undone = await post(hub, s.books, `/bank-transactions/${lineId}/unmatch`, {}, 200);
    expect(undone).toMatchObject({ status: 'UNMATCHED', match: null });
    expect((await eventsOf(hub, s.books, lineId)).map((e) => [e.type, e.data.previousAttributes])).toEqual([['bank_transaction.unmatched', { status: 'MATCHED', paymentId: null, billPaymentId: paid.id, payoutId: null }]]);
    expect((await get(hub, s.books, `/bills/${open.id as string}`))).toMatchObject({ status: 'PAID', balance: 0 });

    // The bill is paid: what the line finds now is the bill payment it made, linked without paying again.
    const rerun = await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(rerun.matches).toEqual([{ bankTransactionId: lineId, kind: 'BILL_PAYMENT', itemId: paid.id, paymentId: null, billPaymentId: paid.id, payoutId: null, confidence: 1 }]);
    expect((await get(hub, s.books, '/journal-entries?limit=100')).data.length).toBe(entries);
    expect(Number((await hub.db.knex('bill_payments').where('organization_id', s.books.org.id).count({ n: '*' }).first())?.n)).toBe(1);
    await checkAllBooks(hub, s.books);
  });

  it('pays part of a bill when the debit is less than its balance', async () => {
    const s = await setup();
    const open = await bill(s, 20000, { vendorReference: GLS_DEBIT.reference });
    const bankAccountId = (await post(hub, s.books, '/bank-accounts', { name: 'GLS Giro', currency: 'EUR' })).id;
    const lineId = await importGlsDebit(hub, s.books.org, bankAccountId);
    // Another amount: only the bill's number, the date and the name count, so it is a suggestion.
    expect(await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId }, 200)).toMatchObject({ matched: 0, suggested: 1 });
    expect((await line(s, lineId)).suggestions).toMatchObject([{ kind: 'BILL', id: open.id, amount: 20000 }]);

    const matched = await match(s, lineId, { billId: open.id });
    expect(matched.status, JSON.stringify(matched.body)).toBe(200);
    const paid = await billPayment(s, matched.body.match.billPaymentId);
    expect(paid).toMatchObject({ amount: 9876, bill: { status: 'PARTIALLY_PAID', amountPaid: 9876, balance: 10124 } });
    expect(await postingsOf(hub, s.books, paid.journalEntryId)).toEqual([['2000', 'DEBIT', 9876, 'EUR'], ['1000', 'CREDIT', 9876, 'EUR']]);
    const aging = await get(hub, s.books, '/reports/ap-aging?asOf=2999-12-31');
    expect(aging.totals.total).toBe(10124);
    await checkAllBooks(hub, s.books);
  });

  it('links a debit to a bill payment made from the chart\'s Bank account and moves it to the bank account\'s own ledger account', async () => {
    const s = await setup();
    const open = await bill(s, 9876);
    const paid = await post(hub, s.books, `/bills/${open.id as string}/pay`, { date: '2017-10-09', reference: 'SEPA B4658645' });
    expect(paid.paidFromAccountId).toBe(s.accounts['1000']);
    const giro = await post(hub, s.books, '/accounts', { code: '1010', name: 'GLS giro account', type: 'ASSET' });
    const bankAccountId = (await post(hub, s.books, '/bank-accounts', { name: 'GLS Giro', currency: 'EUR', ledgerAccountId: giro.id })).id;
    const lineId = await importGlsDebit(hub, s.books.org, bankAccountId);
    const run = await post(hub, s.books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run.matches).toMatchObject([{ kind: 'BILL_PAYMENT', itemId: paid.id, billPaymentId: paid.id }]);
    const linked = await line(s, lineId);
    expect(await postingsOf(hub, s.books, linked.match.transferEntryId)).toEqual([['1000', 'DEBIT', 9876, 'EUR'], ['1010', 'CREDIT', 9876, 'EUR']]);
    await checkAllBooks(hub, s.books);
    await post(hub, s.books, `/bank-transactions/${lineId}/unmatch`, {}, 200);
    expect((await get(hub, s.books, `/journal-entries/${linked.match.transferEntryId as string}`)).reversedBy).toMatch(/^je_/);
    await checkAllBooks(hub, s.books);
  });
});
