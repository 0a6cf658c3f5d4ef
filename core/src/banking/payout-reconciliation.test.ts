import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { checkBooks, eventsOf, get, issuedInvoice, post, postingsOf, setupBooks, type Books, type Json } from '../payments/testing.js';
import { createBankAccount, importFile } from './testing.js';

const CSV = { format: 'CSV', csv: { columns: { date: 'Date', amount: 'Amount', description: ['Text'] } } };
const csv = (rows: string[]): string => `Date,Amount,Text\n${rows.join('\n')}\n`;
const meta = { source: 'WEBHOOK' as const };

describe('reconciliation of bank deposits with processor payouts', () => {
  let hub: TestHub;
  let books: Books;
  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, `Payout Reconcile Ltd ${Date.now()}`);
  });
  afterAll(() => hub.close());

  const balanceOf = async (code: string): Promise<number> => (await get(hub, books, '/accounts?limit=100')).data.find((a: Json) => a.code === code).balance;
  /** Two card payments into payment clearing, less the processor's fees, as a payment connector records them. */
  async function cardPayments(reference: string): Promise<Json[]> {
    const out: Json[] = [];
    for (const [price, fees] of [[10000, 320], [5000, 175]] as const) {
      const invoice = await issuedInvoice(hub, books, [{ unitPrice: price }]);
      out.push(await post(hub, books, '/payments', { customerId: books.customerId, amount: price, method: 'CARD', fees, depositAccount: 'payment_clearing', reference: `${reference}-${price}`, applications: [{ invoiceId: invoice.id, amount: price }] }));
    }
    return out;
  }
  const payoutOf = (reference: string, payments: Json[], status: 'IN_TRANSIT' | 'PAID', arrivalDate: string) => hub.core.services.payouts.record(books.org.id, 'stripe', {
    providerReference: reference, status, amount: 14505, currency: 'USD', arrivalDate,
    items: payments.map((p) => ({ kind: 'PAYMENT' as const, paymentId: p.id as string, amount: (p.amount as number) - (p.fees as number), providerReference: `txn_${p.id as string}` })),
  }, meta);

  it('matches a deposit to an in-transit payout, marks it PAID on the deposit day (clearing emptied) and links line, payout and payments', async () => {
    const clearingBefore = await balanceOf('1050');
    const payments = await cardPayments('ch_auto');
    expect(await balanceOf('1050')).toBe(clearingBefore + 14505);
    const payout = await payoutOf('po_1NautoXyz', payments, 'IN_TRANSIT', '2026-03-02');
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Operating (payouts)' });
    const imported = await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv(['2026-03-03,145.05,STRIPE PAYOUT po_1NautoXyz', '2026-03-03,145.05,TRANSFER']) });
    expect(imported.body.imported).toBe(2);

    const run = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run).toMatchObject({ considered: 2, matched: 1, matches: [{ kind: 'PAYOUT', itemId: payout.id, payoutId: payout.id, paymentId: null, billPaymentId: null }] });
    const line = await get(hub, books, `/bank-transactions/${run.matches[0].bankTransactionId as string}`);
    expect(line).toMatchObject({ status: 'MATCHED', match: { payoutId: payout.id, paymentId: null, paymentIds: payments.map((p) => p.id), method: 'AUTO', transferEntryId: null } });

    // The payout is PAID on the deposit's day and posted: bank in, clearing out, so clearing holds what it held before the card payments.
    const paid = await get(hub, books, `/payouts/${payout.id}`);
    expect(paid).toMatchObject({ status: 'PAID', paidAt: '2026-03-03T00:00:00.000Z' });
    expect(await postingsOf(hub, books, paid.journalEntryId)).toEqual([['1000', 'DEBIT', 14505, 'USD'], ['1050', 'CREDIT', 14505, 'USD']]);
    expect(await balanceOf('1050')).toBe(clearingBefore);

    // Seen from the payout and from each payment.
    expect((await get(hub, books, `/bank-transactions?payoutId=${payout.id}`)).data.map((t: Json) => t.id)).toEqual([line.id]);
    for (const p of payments) expect((await get(hub, books, `/bank-transactions?paymentId=${p.id as string}`)).data.map((t: Json) => t.id)).toEqual([line.id]);
    const payoutEvents = (await eventsOf(hub, books, payout.id)).map((e: Json) => e.type);
    expect(payoutEvents).toEqual(['payout.created', 'payout.paid', 'payout.reconciled']);
    const reconciled = (await eventsOf(hub, books, payout.id)).at(-1);
    expect(reconciled.data.object).toMatchObject({ id: payout.id, status: 'PAID', reconciliation: { bankTransactionId: line.id, bankAccountId, method: 'AUTO', itemKind: 'PAYOUT', payoutId: payout.id } });
    for (const p of payments) {
      const events = (await eventsOf(hub, books, p.id)).filter((e: Json) => e.type === 'payment.reconciled');
      expect(events.map((e: Json) => e.data.object.reconciliation)).toMatchObject([{ bankTransactionId: line.id, payoutId: payout.id }]);
    }

    // The other deposit of the same amount names nothing: it is only suggested, and never gets the reconciled payout.
    const other = (await get(hub, books, `/bank-transactions?bankAccountId=${bankAccountId}&status=UNMATCHED`)).data[0];
    expect(other.suggestions.map((s: Json) => s.id)).not.toContain(payout.id);
    await checkBooks(hub, books);
  });

  it('links a deposit to a payout already PAID without posting again, by hand, and refuses what does not fit', async () => {
    const payments = await cardPayments('ch_manual');
    const payout = await payoutOf('po_1NmanualAbc', payments, 'PAID', '2026-03-10');
    const clearing = await balanceOf('1050');
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Operating (manual)' });
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv(['2026-03-10,145.05,STRIPE', '2026-03-10,145.04,STRIPE SHORT', '2026-03-11,145.05,STRIPE AGAIN']) });
    const lines = Object.fromEntries(((await get(hub, books, `/bank-transactions?bankAccountId=${bankAccountId}`)).data as Json[]).map((t) => [t.description, t.id as string]));
    const match = (line: string, body: Record<string, unknown>) => hub.request('POST', books.path(`/bank-transactions/${lines[line] ?? ''}/match`), { token: books.org.apiKey, body });
    const entries = (await get(hub, books, '/journal-entries?limit=100')).data.length;

    // Equal amount, near the arrival day, the processor's name: suggested for review, not matched on its own.
    const run = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run.matched).toBe(0);
    expect((await get(hub, books, `/bank-transactions/${lines['STRIPE'] ?? ''}`)).suggestions[0]).toMatchObject({ kind: 'PAYOUT', id: payout.id, amount: 14505 });

    const missing = await match('STRIPE', { payoutId: 'pout_missing' });
    expect([missing.status, missing.body.errors?.[0]?.field]).toEqual([422, '/payoutId']);
    const short = await match('STRIPE SHORT', { payoutId: payout.id });
    expect([short.status, short.body.errors?.[0]?.field]).toEqual([422, '/payoutId']);

    const manual = await match('STRIPE', { payoutId: payout.id });
    expect(manual.status, JSON.stringify(manual.body)).toBe(200);
    expect(manual.body).toMatchObject({ status: 'MATCHED', match: { payoutId: payout.id, paymentId: null, paymentIds: payments.map((p) => p.id), method: 'MANUAL' } });
    expect([(await match('STRIPE', { payoutId: payout.id })).status]).toEqual([409]);
    const taken = await match('STRIPE AGAIN', { payoutId: payout.id });
    expect([taken.status, taken.body.code]).toEqual([409, 'CONFLICT']);

    // Undone, the payout stays PAID and can go to the other deposit.
    const undone = await hub.request('POST', books.path(`/bank-transactions/${lines['STRIPE'] ?? ''}/unmatch`), { token: books.org.apiKey });
    expect([undone.status, undone.body.match]).toEqual([200, null]);
    expect((await match('STRIPE AGAIN', { payoutId: payout.id })).status).toBe(200);
    expect((await get(hub, books, `/payouts/${payout.id}`)).status).toBe('PAID');
    // Linking a PAID payout posts nothing.
    expect((await get(hub, books, '/journal-entries?limit=100')).data.length).toBe(entries);
    expect(await balanceOf('1050')).toBe(clearing);
    await checkBooks(hub, books);
  });
});
