import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { checkBooks, eventsSince, get, issuedInvoice, lastEventId, post, postingsOf, setupBooks, writeCounts, type Books, type Json } from './testing.js';

describe('payment disputes (chargebacks)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  /** Debit-positive balances by account code (a liability's credit balance is negative). */
  async function balances(books: Books): Promise<Record<string, number>> {
    const accounts = await get(hub, books, '/accounts?limit=100');
    return Object.fromEntries((accounts.data as Array<{ code: string; balance: number }>).map((a) => [a.code, a.balance]));
  }

  async function refused(books: Books, rest: string, body: unknown): Promise<[number, string]> {
    const res = await hub.request('POST', books.path(rest), { token: books.org.apiKey, body });
    return [res.status, res.body.code];
  }

  const types = (events: Json[]): string[] => events.map((e) => e.type).filter((t: string) => t !== 'account.balance_changed');

  it('opens a dispute (funds withdrawn to disputed funds), refuses refunds and applications meanwhile, and returns the funds when won', async () => {
    const books = await setupBooks(hub, 'Won Ltd');
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 8000 }]);
    const other = await issuedInvoice(hub, books, [{ unitPrice: 1000 }]);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 10000, method: 'CARD', fees: 320, depositAccount: 'payment_clearing', reference: 'ch_9', applications: [{ invoiceId: invoice.id, amount: 8000 }] });
    const before = await balances(books);
    expect([before['1050'], before['1060'], before['1100'], before['2300']]).toEqual([9680, 0, 1000, -2000]);

    const mark = await lastEventId(hub, books);
    const disputed = await post(hub, books, `/payments/${payment.id}/dispute`, { reason: 'FRAUDULENT', evidenceDueBy: '2026-03-15' }, 200);
    expect(disputed).toMatchObject({ status: 'DISPUTED', amountRefunded: 0, appliedAmount: 8000, unappliedAmount: 2000 });
    expect(disputed.dispute).toEqual({ amount: 10000, reason: 'FRAUDULENT', status: 'OPEN', evidenceDueBy: '2026-03-15', openedAt: expect.any(String), resolvedAt: null, journalEntryId: expect.any(String), resolutionJournalEntryId: null });
    expect(await postingsOf(hub, books, disputed.dispute.journalEntryId)).toEqual([['1060', 'DEBIT', 10000, 'USD'], ['1050', 'CREDIT', 10000, 'USD']]);
    const opened = await eventsSince(hub, books, mark);
    expect(types(opened)).toEqual(['journal_entry.created', 'payment.disputed']);
    expect(opened.at(-1).data).toEqual({ object: disputed, previousAttributes: { status: 'COMPLETED', dispute: null } });
    expect(await balances(books)).toMatchObject({ '1050': -320, '1060': 10000, '1100': 1000, '2300': -2000 });

    const frozen = await writeCounts(hub);
    expect(await refused(books, `/payments/${payment.id}/refund`, { amount: 100 })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await refused(books, `/payments/${payment.id}/apply`, { applications: [{ invoiceId: other.id, amount: 1000 }] })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await refused(books, `/payments/${payment.id}/dispute`, { reason: 'DUPLICATE' })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await writeCounts(hub)).toEqual(frozen);

    const mark2 = await lastEventId(hub, books);
    const won = await post(hub, books, `/payments/${payment.id}/dispute/resolve`, { outcome: 'WON' }, 200);
    expect(won).toMatchObject({ status: 'COMPLETED', amountRefunded: 0, appliedAmount: 8000, unappliedAmount: 2000, dispute: { amount: 10000, status: 'WON', resolvedAt: expect.any(String) } });
    expect(await postingsOf(hub, books, won.dispute.resolutionJournalEntryId)).toEqual([['1060', 'CREDIT', 10000, 'USD'], ['1050', 'DEBIT', 10000, 'USD']]);
    expect(await balances(books)).toEqual(before);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID', balance: 0, amountPaid: 8000 });
    const closed = await eventsSince(hub, books, mark2);
    expect(types(closed)).toEqual(['journal_entry.created', 'payment.dispute_closed']);
    expect(closed.at(-1).data).toEqual({ object: won, previousAttributes: { status: 'DISPUTED', dispute: disputed.dispute, appliedAmount: 8000, unappliedAmount: 2000 } });

    const settled = await writeCounts(hub);
    expect(await refused(books, `/payments/${payment.id}/dispute/resolve`, { outcome: 'LOST' })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await refused(books, `/payments/${payment.id}/dispute`, { reason: 'GENERAL' })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await writeCounts(hub)).toEqual(settled);
    // Once won the payment is an ordinary COMPLETED payment again: its credit can be applied.
    expect(await post(hub, books, `/payments/${payment.id}/apply`, { applications: [{ invoiceId: other.id, amount: 1000 }] }, 200)).toMatchObject({ appliedAmount: 9000, unappliedAmount: 1000 });
    await checkBooks(hub, books);
  });

  it('loses a partial dispute: credit first, then the invoice paid last reopens; the rest can still be refunded', async () => {
    const books = await setupBooks(hub, 'Lost Ltd');
    const first = await issuedInvoice(hub, books, [{ unitPrice: 3000 }]);
    const second = await issuedInvoice(hub, books, [{ unitPrice: 2000 }]);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 6000, method: 'CARD', applications: [{ invoiceId: first.id, amount: 3000 }] });
    await post(hub, books, `/payments/${payment.id}/apply`, { applications: [{ invoiceId: second.id, amount: 2000 }] }, 200);
    const disputed = await post(hub, books, `/payments/${payment.id}/dispute`, { amount: 2500, reason: 'PRODUCT_NOT_RECEIVED' }, 200);
    expect(disputed.dispute).toMatchObject({ amount: 2500, status: 'OPEN', evidenceDueBy: null });
    expect(await balances(books)).toMatchObject({ '1000': 3500, '1060': 2500, '1100': 0, '2300': -1000 });

    const mark = await lastEventId(hub, books);
    const lost = await post(hub, books, `/payments/${payment.id}/dispute/resolve`, { outcome: 'LOST', date: '2026-04-01' }, 200);
    expect(lost).toMatchObject({ status: 'COMPLETED', amountRefunded: 0, appliedAmount: 3500, unappliedAmount: 0, refunds: [], dispute: { amount: 2500, status: 'LOST' } });
    expect(lost.applications).toEqual([
      { invoiceId: first.id, amount: 3000, amountRefunded: 0, appliedAt: expect.any(String) },
      { invoiceId: second.id, amount: 2000, amountRefunded: 1500, appliedAt: expect.any(String) },
    ]);
    expect(await postingsOf(hub, books, lost.dispute.resolutionJournalEntryId)).toEqual([['1060', 'CREDIT', 2500, 'USD'], ['1100', 'DEBIT', 1500, 'USD'], ['2300', 'DEBIT', 1000, 'USD']]);
    const entry = await get(hub, books, `/journal-entries/${lost.dispute.resolutionJournalEntryId}`);
    expect([entry.date, entry.source]).toEqual(['2026-04-01', { type: 'dispute', id: payment.id }]);
    expect(await get(hub, books, `/invoices/${first.id}`)).toMatchObject({ status: 'PAID', amountPaid: 3000, balance: 0 });
    expect(await get(hub, books, `/invoices/${second.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 500, balance: 1500 });
    expect(await balances(books)).toMatchObject({ '1000': 3500, '1060': 0, '1100': 1500, '2300': 0 });
    const events = await eventsSince(hub, books, mark);
    expect(types(events)).toEqual(['journal_entry.created', 'payment.dispute_closed', 'invoice.updated']);
    expect(events.find((e) => e.type === 'payment.dispute_closed').data.previousAttributes).toEqual({ status: 'DISPUTED', dispute: disputed.dispute, appliedAmount: 5000, unappliedAmount: 1000 });
    expect(await checkBooks(hub, books)).toEqual({ receivables: 1500, openBalances: 1500 });

    // What the lost dispute took counts against the payment: 3500 is left to refund, not 6000.
    expect(await refused(books, `/payments/${payment.id}/refund`, { amount: 3501 })).toEqual([422, 'REFUND_EXCEEDS_REFUNDABLE']);
    const rest = await post(hub, books, `/payments/${payment.id}/refund`, {}, 200);
    expect(rest).toMatchObject({ status: 'REFUNDED', amountRefunded: 3500, appliedAmount: 0, unappliedAmount: 0 });
    expect(await balances(books)).toMatchObject({ '1000': 0, '1060': 0, '1100': 5000 });
    expect(await checkBooks(hub, books)).toEqual({ receivables: 5000, openBalances: 5000 });
  });

  it('loses a full dispute: the payment is REFUNDED and its invoice is open again', async () => {
    const books = await setupBooks(hub, 'Chargeback Ltd');
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 4000, taxed: true }]);
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 4400, method: 'CARD', fees: 100, applications: [{ invoiceId: invoice.id, amount: 4400 }] });
    await post(hub, books, `/payments/${payment.id}/dispute`, { reason: 'SUBSCRIPTION_CANCELED' }, 200);
    const lost = await post(hub, books, `/payments/${payment.id}/dispute/resolve`, { outcome: 'LOST' }, 200);
    expect(lost).toMatchObject({ status: 'REFUNDED', amountRefunded: 0, appliedAmount: 0, unappliedAmount: 0, dispute: { amount: 4400, status: 'LOST' } });
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ amountPaid: 0, balance: 4400 });
    // Fees stay an expense (processors keep them): the bank is short by them.
    expect(await balances(books)).toMatchObject({ '1000': -100, '1060': 0, '1100': 4400, '6100': 100 });
    expect(await checkBooks(hub, books)).toEqual({ receivables: 4400, openBalances: 4400 });
    expect(await refused(books, `/payments/${payment.id}/refund`, {})).toEqual([409, 'INVALID_STATE_TRANSITION']);
  });

  it('refuses disputes of payments not in the books, amounts above what is left, unknown reasons, and resolving what is not disputed, writing nothing', async () => {
    const books = await setupBooks(hub, 'Refusals Ltd');
    const pending = await post(hub, books, '/payments', { customerId: books.customerId, amount: 700, method: 'CARD', status: 'PENDING' });
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 5000, method: 'CARD' });
    await post(hub, books, `/payments/${payment.id}/refund`, { amount: 1000 }, 200);
    const before = await writeCounts(hub);
    expect(await refused(books, `/payments/${pending.id}/dispute`, { reason: 'FRAUDULENT' })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await refused(books, `/payments/${payment.id}/dispute`, { reason: 'FRAUDULENT', amount: 4001 })).toEqual([422, 'DISPUTE_EXCEEDS_DISPUTABLE']);
    expect(await refused(books, `/payments/${payment.id}/dispute`, { reason: 'BECAUSE' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused(books, `/payments/${payment.id}/dispute`, { reason: 'GENERAL', amount: 0 })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused(books, `/payments/${payment.id}/dispute/resolve`, { outcome: 'WON' })).toEqual([409, 'INVALID_STATE_TRANSITION']);
    expect(await refused(books, '/payments/pay_nothing/dispute', { reason: 'GENERAL' })).toEqual([404, 'NOT_FOUND']);
    expect(await writeCounts(hub)).toEqual(before);
    // The default amount is what was not refunded.
    const disputed = await post(hub, books, `/payments/${payment.id}/dispute`, { reason: 'DUPLICATE' }, 200);
    expect(disputed.dispute).toMatchObject({ amount: 4000, reason: 'DUPLICATE' });
  });

  it('keeps the dispute consistent in the database whatever the service does', async () => {
    const books = await setupBooks(hub, 'Constraints Ltd');
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 1000, method: 'CARD' });
    const knex = hub.db.knex;
    // DISPUTED without an open dispute, and an open dispute larger than the payment, are refused.
    await expect(knex('payments').where('id', payment.id).update({ status: 'DISPUTED' })).rejects.toThrow(/payments_disputed_status_check/);
    await expect(
      knex('payments').where('id', payment.id).update({ status: 'DISPUTED', dispute_status: 'OPEN', dispute_amount: 1001, dispute_reason: 'GENERAL', dispute_opened_at: new Date(), dispute_journal_entry_id: payment.journalEntryId }),
    ).rejects.toThrow(/payments_dispute_check/);
    await expect(knex('payments').where('id', payment.id).update({ dispute_reason: 'GENERAL' })).rejects.toThrow(/payments_dispute_none_check/);
  });
});
