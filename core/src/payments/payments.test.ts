import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { checkBooks, eventsOf, eventsSince, get, issuedInvoice, lastEventId, post, postingsOf, setupBooks, writeCounts, type Books } from './testing.js';

describe('payments', () => {
  let hub: TestHub;
  let books: Books;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Pay Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('records a card payment with fees into payment clearing, applies part to an invoice and keeps the rest as credit', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 8000 }]);
    const mark = await lastEventId(hub, books);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 10000, method: 'CARD', fees: 320, depositAccount: 'payment_clearing', reference: 'ch_1', applications: [{ invoiceId: invoice.id, amount: 8000 }] });
    expect(payment).toMatchObject({ object: 'payment', status: 'COMPLETED', currency: 'USD', exchangeRate: null, amount: 10000, fees: 320, net: 9680, amountRefunded: 0, appliedAmount: 8000, unappliedAmount: 2000, depositAccount: 'payment_clearing', reference: 'ch_1' });
    expect(payment.applications).toEqual([{ invoiceId: invoice.id, amount: 8000, amountRefunded: 0, appliedAt: expect.any(String) }]);
    expect(await postingsOf(hub, books, payment.journalEntryId)).toEqual([
      ['1050', 'DEBIT', 9680, 'USD'],
      ['6100', 'DEBIT', 320, 'USD'],
      ['1100', 'CREDIT', 8000, 'USD'],
      ['2300', 'CREDIT', 2000, 'USD'],
    ]);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID', amountPaid: 8000, balance: 0 });
    const events = await eventsSince(hub, books, mark);
    expect(events.map((e) => e.type)).toEqual(['journal_entry.created', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'payment.succeeded', 'invoice.paid']);
    expect(events[5].data.object).toEqual(payment);
    expect(await get(hub, books, `/payments/${payment.id}`)).toEqual(payment);
    await checkBooks(hub, books);
  });

  it('takes a pending payment through processing to completion, posting only on completion', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 5000, taxed: true }]);
    const before = await writeCounts(hub);
    const pending = await post(hub, books, '/payments', { customerId: books.customerId, amount: 2000, method: 'BANK_TRANSFER', status: 'PENDING', applications: [{ invoiceId: invoice.id, amount: 2000 }] });
    expect(pending).toMatchObject({ status: 'PENDING', journalEntryId: null, processedAt: null, appliedAmount: 0, unappliedAmount: 0, applications: [{ invoiceId: invoice.id, amount: 2000, amountRefunded: 0, appliedAt: null }] });
    const afterPending = await writeCounts(hub);
    expect([afterPending['journal_entries'], afterPending['invoices'], afterPending['balances']]).toEqual([before['journal_entries'], before['invoices'], before['balances']]);

    const processing = await post(hub, books, `/payments/${pending.id}/process`, undefined, 200);
    expect(processing.status).toBe('PROCESSING');
    const completed = await post(hub, books, `/payments/${pending.id}/complete`, { processedAt: '2026-03-02T10:00:00.000Z', fees: 50 }, 200);
    expect(completed).toMatchObject({ status: 'COMPLETED', date: '2026-03-02', processedAt: '2026-03-02T10:00:00.000Z', fees: 50, net: 1950, appliedAmount: 2000, unappliedAmount: 0 });
    expect(await postingsOf(hub, books, completed.journalEntryId)).toEqual([['1000', 'DEBIT', 1950, 'USD'], ['6100', 'DEBIT', 50, 'USD'], ['1100', 'CREDIT', 2000, 'USD']]);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 2000, balance: 3500 });
    const history = await eventsOf(hub, books, pending.id);
    expect(history.map((e: { type: string; version: number }) => [e.type, e.version])).toEqual([['payment.initiated', 1], ['payment.processing', 2], ['payment.succeeded', 3]]);
    expect(history[2].data.previousAttributes).toEqual({ status: 'PROCESSING' });

    const again = await hub.request('POST', books.path(`/payments/${pending.id}/complete`), { token: books.org.apiKey, body: {} });
    expect([again.status, again.body.code]).toEqual([409, 'INVALID_STATE_TRANSITION']);
    await checkBooks(hub, books);
  });

  it('fails a pending payment without posting anything, and refuses to complete it afterwards', async () => {
    const before = await writeCounts(hub);
    const pending = await post(hub, books, '/payments', { customerId: books.customerId, amount: 700, method: 'CARD', status: 'PENDING' });
    const failed = await post(hub, books, `/payments/${pending.id}/fail`, { reason: 'card_declined' }, 200);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'card_declined', journalEntryId: null, unappliedAmount: 0 });
    const after = await writeCounts(hub);
    expect([after['journal_entries'], after['balances']]).toEqual([before['journal_entries'], before['balances']]);
    for (const action of ['complete', 'process', 'refund']) {
      const res = await hub.request('POST', books.path(`/payments/${pending.id}/${action}`), { token: books.org.apiKey, body: {} });
      expect([action, res.status, res.body.code]).toEqual([action, 409, 'INVALID_STATE_TRANSITION']);
    }
    expect((await eventsOf(hub, books, pending.id)).map((e: { type: string }) => e.type)).toEqual(['payment.initiated', 'payment.failed']);
  });

  it('refunds credit first, then the latest applications, reopening those invoices; fully refunded is REFUNDED', async () => {
    const first = await issuedInvoice(hub, books, [{ unitPrice: 3000 }]);
    const second = await issuedInvoice(hub, books, [{ unitPrice: 2000 }]);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 6000, method: 'CHECK', reference: 'chk 1042', applications: [{ invoiceId: first.id, amount: 3000 }] });
    const applied = await post(hub, books, `/payments/${payment.id}/apply`, { applications: [{ invoiceId: second.id, amount: 2000 }] }, 200);
    expect(applied).toMatchObject({ appliedAmount: 5000, unappliedAmount: 1000 });
    expect(await get(hub, books, `/invoices/${second.id}`)).toMatchObject({ status: 'PAID', balance: 0 });

    const mark = await lastEventId(hub, books);
    const refunded = await post(hub, books, `/payments/${payment.id}/refund`, { amount: 2500, reason: 'requested_by_customer' }, 200);
    expect(refunded).toMatchObject({ status: 'COMPLETED', amountRefunded: 2500, appliedAmount: 3500, unappliedAmount: 0 });
    const refund = refunded.refunds[0];
    expect(refund).toMatchObject({ amount: 2500, reason: 'requested_by_customer', creditAmount: 1000, invoices: [{ invoiceId: second.id, amount: 1500 }] });
    expect(await postingsOf(hub, books, refund.journalEntryId)).toEqual([['1000', 'CREDIT', 2500, 'USD'], ['1100', 'DEBIT', 1500, 'USD'], ['2300', 'DEBIT', 1000, 'USD']]);
    expect(await get(hub, books, `/invoices/${second.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 500, balance: 1500 });
    const events = await eventsSince(hub, books, mark);
    expect(events.map((e) => e.type)).toEqual(['journal_entry.created', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'payment.refunded', 'invoice.updated']);
    expect(events[4].data.previousAttributes).toEqual({ status: 'COMPLETED', amountRefunded: 0, unappliedAmount: 1000, appliedAmount: 5000 });

    const tooMuch = await hub.request('POST', books.path(`/payments/${payment.id}/refund`), { token: books.org.apiKey, body: { amount: 3501 } });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([422, 'REFUND_EXCEEDS_REFUNDABLE']);
    const rest = await post(hub, books, `/payments/${payment.id}/refund`, {}, 200);
    expect(rest).toMatchObject({ status: 'REFUNDED', amountRefunded: 6000, appliedAmount: 0, unappliedAmount: 0 });
    expect(rest.refunds[1]).toMatchObject({ amount: 3500, creditAmount: 0, invoices: [{ invoiceId: first.id, amount: 3000 }, { invoiceId: second.id, amount: 500 }] });
    expect(await get(hub, books, `/invoices/${first.id}`)).toMatchObject({ status: 'SENT', amountPaid: 0, balance: 3000 });
    expect(await get(hub, books, `/invoices/${second.id}`)).toMatchObject({ status: 'SENT', amountPaid: 0, balance: 2000 });
    const { receivables } = await checkBooks(hub, books);
    expect(receivables).toBeGreaterThanOrEqual(5000);
  });

  it('lists payments with filters and cursors', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 900 }]);
    const a = await post(hub, books, '/payments', { customerId: books.customerId, amount: 300, method: 'CASH', applications: [{ invoiceId: invoice.id, amount: 300 }] });
    const b = await post(hub, books, '/payments', { customerId: books.customerId, amount: 600, method: 'CASH', applications: [{ invoiceId: invoice.id, amount: 600 }] });
    expect((await get(hub, books, `/payments?invoiceId=${invoice.id}`)).data.map((p: { id: string }) => p.id)).toEqual([a.id, b.id]);
    const page1 = await get(hub, books, `/payments?invoiceId=${invoice.id}&limit=1`);
    const page2 = await get(hub, books, `/payments?invoiceId=${invoice.id}&limit=1&cursor=${page1.nextCursor}`);
    expect([page1.data[0].id, page2.data[0].id, page2.nextCursor]).toEqual([a.id, b.id, null]);
    const latest = await get(hub, books, `/payments?invoiceId=${invoice.id}&limit=1&order=desc`);
    const before = await get(hub, books, `/payments?invoiceId=${invoice.id}&limit=1&order=desc&cursor=${latest.nextCursor}`);
    expect([latest.data[0].id, before.data[0].id, before.nextCursor]).toEqual([b.id, a.id, null]);
    expect((await get(hub, books, '/payments?status=FAILED')).data.every((p: { status: string }) => p.status === 'FAILED')).toBe(true);
    expect((await get(hub, books, '/payments?status=FAILED')).data.length).toBeGreaterThan(0);
  });

  it('answers a dry run with the payment, entries and events it would write, and writes nothing', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 4000 }]);
    const before = await writeCounts(hub);
    const res = await hub.request('POST', books.path('/payments?dryRun=true'), { token: books.org.apiKey, body: { customerId: books.customerId, amount: 4500, method: 'E_TRANSFER', applications: [{ invoiceId: invoice.id, amount: 4000 }] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: 'payment_dry_run', payment: { status: 'COMPLETED', appliedAmount: 4000, unappliedAmount: 500 } });
    expect(res.body.journalEntries.map((e: { lines: Array<{ accountCode: string; direction: string; amount: number }> }) => e.lines.map((l) => [l.accountCode, l.direction, l.amount]))).toEqual([[['1000', 'DEBIT', 4500], ['1100', 'CREDIT', 4000], ['2300', 'CREDIT', 500]]]);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['journal_entry.created', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'payment.succeeded', 'invoice.paid']);
    expect(await writeCounts(hub)).toEqual(before);
    const refused = await hub.request('POST', books.path('/payments?dryRun=true'), { token: books.org.apiKey, body: { customerId: books.customerId, amount: 4500, method: 'CASH', applications: [{ invoiceId: invoice.id, amount: 4001 }] } });
    expect([refused.status, refused.body.code]).toEqual([422, 'PAYMENT_EXCEEDS_BALANCE']);
  });

  it('records a payment once for a retried request with the same Idempotency-Key', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 2000 }]);
    const body = { customerId: books.customerId, amount: 2000, method: 'CARD', applications: [{ invoiceId: invoice.id, amount: 2000 }] };
    const send = () => hub.request('POST', books.path('/payments'), { token: books.org.apiKey, body, headers: { 'idempotency-key': `pay-${invoice.id}` } });
    const first = await send();
    const retry = await send();
    expect([first.status, retry.status, retry.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(retry.body).toEqual(first.body);
    expect((await get(hub, books, `/payments?invoiceId=${invoice.id}`)).data).toHaveLength(1);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID', amountPaid: 2000 });
  });
});
