import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventsSince, get, issuedInvoice, lastEventId, post, postingsOf, setupBooks, type Json } from './testing.js';

describe('payouts', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  const meta = { source: 'WEBHOOK' as const };
  const types = (events: Json[]): string[] => events.map((e) => e.type).filter((t: string) => t !== 'account.balance_changed');

  it('records a payout once per provider reference, moves its status forward only, and posts clearing → bank when paid', async () => {
    const books = await setupBooks(hub, `Payout Ltd ${Date.now()}`);
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 10000 }]);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 10000, method: 'CARD', fees: 349, depositAccount: 'payment_clearing', reference: 'ch_1', applications: [{ invoiceId: invoice.id, amount: 10000 }] });
    const payouts = hub.core.services.payouts;
    const org = books.org.id;
    const mark = await lastEventId(hub, books);
    const input = { providerReference: 'po_1', status: 'IN_TRANSIT' as const, amount: 9651, currency: 'USD' as const, arrivalDate: '2026-02-03', items: [{ kind: 'PAYMENT' as const, paymentId: payment.id, amount: 9651, providerReference: 'txn_1' }] };
    const pending = await payouts.record(org, 'acme-pay', input, meta);
    expect(pending).toMatchObject({ object: 'payout', connectorId: 'acme-pay', providerReference: 'po_1', status: 'IN_TRANSIT', amount: 9651, fees: 0, journalEntryId: null, paidAt: null, paymentIds: [payment.id] });
    expect(types(await eventsSince(hub, books, mark))).toEqual(['payout.created']);

    // The same report again (a duplicate webhook, a second sync) changes nothing and emits nothing.
    const mark2 = await lastEventId(hub, books);
    expect(await payouts.record(org, 'acme-pay', input, meta)).toEqual(pending);
    expect(await eventsSince(hub, books, mark2)).toEqual([]);

    const paid = await payouts.record(org, 'acme-pay', { ...input, status: 'PAID', paidAt: '2026-02-03T08:00:00.000Z' }, meta);
    expect(paid).toMatchObject({ status: 'PAID', paidAt: '2026-02-03T08:00:00.000Z', journalEntryId: expect.any(String), items: pending.items });
    expect(await postingsOf(hub, books, paid.journalEntryId!)).toEqual([['1000', 'DEBIT', 9651, 'USD'], ['1050', 'CREDIT', 9651, 'USD']]);
    const paidEvents = await eventsSince(hub, books, mark2);
    expect(types(paidEvents)).toEqual(['journal_entry.created', 'payout.paid']);
    expect(paidEvents.at(-1).data).toEqual({ object: paid, previousAttributes: { status: 'IN_TRANSIT' } });

    // A late in-transit report never undoes PAID; clearing is empty again.
    expect(await payouts.record(org, 'acme-pay', { ...input, status: 'IN_TRANSIT' }, meta)).toEqual(paid);
    const accounts = await get(hub, books, '/accounts?limit=100');
    expect(accounts.data.find((a: Json) => a.code === '1050').balance).toBe(0);

    // Read through the API, and found as a bank deposit would find it.
    expect(await get(hub, books, `/payouts/${paid.id}`)).toEqual(paid);
    expect((await get(hub, books, '/payouts?amount=9651&currency=USD&arrivalFrom=2026-02-01&arrivalTo=2026-02-05')).data).toEqual([paid]);
    expect((await get(hub, books, `/payouts?paymentId=${payment.id}`)).data.map((p: Json) => p.id)).toEqual([paid.id]);
    expect((await get(hub, books, '/payouts?amount=1')).data).toEqual([]);
    // Another connector's payout of the same provider reference is another payout.
    expect((await payouts.record(org, 'other-pay', input, meta)).id).not.toBe(paid.id);
  });

  it('posts the payout fee, records failures, and refuses items naming foreign payments or a changed amount', async () => {
    const books = await setupBooks(hub, `Payout Fail Ltd ${Date.now()}`);
    const payouts = hub.core.services.payouts;
    const org = books.org.id;
    const withFee = await payouts.record(org, 'acme-pay', { providerReference: 'po_fee', status: 'PAID', amount: 5000, fees: 25, currency: 'USD', arrivalDate: '2026-02-04' }, meta);
    expect(withFee.paidAt).toBe('2026-02-04T00:00:00.000Z');
    expect(await postingsOf(hub, books, withFee.journalEntryId!)).toEqual([['1000', 'DEBIT', 5000, 'USD'], ['6100', 'DEBIT', 25, 'USD'], ['1050', 'CREDIT', 5025, 'USD']]);

    const mark = await lastEventId(hub, books);
    const failed = await payouts.record(org, 'acme-pay', { providerReference: 'po_x', status: 'FAILED', failureReason: 'account_closed', amount: 700, currency: 'USD', arrivalDate: '2026-02-04' }, meta);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'account_closed', journalEntryId: null });
    expect(types(await eventsSince(hub, books, mark))).toEqual(['payout.created', 'payout.failed']);
    expect((await payouts.record(org, 'acme-pay', { providerReference: 'po_x', status: 'PAID', amount: 700, currency: 'USD', arrivalDate: '2026-02-04' }, meta)).status).toBe('FAILED');

    await expect(payouts.record(org, 'acme-pay', { providerReference: 'po_y', status: 'PAID', amount: 1, currency: 'USD', arrivalDate: '2026-02-04', items: [{ kind: 'PAYMENT', paymentId: 'pay_nope', amount: 1 }] }, meta)).rejects.toMatchObject({ code: 'UNPROCESSABLE', status: 422 });
    expect((await get(hub, books, '/payouts?providerReference=po_y')).data).toEqual([]);
    await expect(payouts.record(org, 'acme-pay', { providerReference: 'po_fee', status: 'PAID', amount: 5001, currency: 'USD', arrivalDate: '2026-02-04' }, meta)).rejects.toMatchObject({ code: 'CONFLICT' });
    const missing = await hub.request('GET', books.path('/payouts/pout_missing'), { token: books.org.apiKey });
    expect(missing.status).toBe(404);
  });
});
