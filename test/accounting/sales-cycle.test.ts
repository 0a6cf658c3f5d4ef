import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { checkBooks, eventsSince, get, lastEventId, post, postingsOf, setupBooks, type Books, type Json } from '../../core/src/payments/testing.js';

/**
 * The whole sales cycle through the API, one step at a time: quote → sent → accepted → converted →
 * issued → partial payment → full payment (with an overpayment kept as credit) → refunds → paid off.
 * After every step: each posting of the step's journal entries, each status, each event (types, order
 * and data), the trial balance, and receivables against the open invoice balances.
 */
describe('sales cycle, end to end', () => {
  let hub: TestHub;
  let books: Books;
  let mark: string | null;
  let widget: string;
  let consulting: string;
  let invoiceId: string;
  const payments: Json[] = [];

  /** The events since the previous step, as [type, aggregateId]; the mark moves on. */
  async function stepEvents(): Promise<Json[]> {
    const events = await eventsSince(hub, books, mark);
    mark = events[events.length - 1]?.id ?? mark;
    return events;
  }
  const typesOf = (events: Json[]) => events.map((e: Json) => [e.type, e.aggregateId]);
  /** account.balance_changed events come in account-id order; compare them as the set of codes they name. */
  async function balanceEvents(events: Json[]): Promise<string[]> {
    const accounts = (await get(hub, books, '/accounts?limit=100')).data as Array<{ id: string; code: string }>;
    return events.filter((e: Json) => e.type === 'account.balance_changed').map((e: Json) => accounts.find((a) => a.id === e.aggregateId)?.code ?? '?').sort();
  }
  async function expectBooks(openBalance: number): Promise<void> {
    const { receivables, openBalances } = await checkBooks(hub, books);
    const open = (await get(hub, books, '/invoices?limit=100')).data.filter((i: Json) => !['DRAFT', 'CANCELLED'].includes(i.status));
    expect(open.reduce((s: number, i: Json) => s + i.balance, 0)).toBe(openBalance);
    expect([receivables, openBalances]).toEqual([openBalance, openBalance]);
  }

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Cycle Ltd', 'USD');
    widget = (await post(hub, books, '/products', { sku: 'WIDGET', name: 'Widget', type: 'INVENTORY', unitPrice: 2500, taxRateId: books.tax })).id;
    consulting = (await post(hub, books, '/products', { sku: 'CONSULT', name: 'Consulting hour', type: 'SERVICE', unitPrice: 12000 })).id;
    mark = await lastEventId(hub, books);
  });
  afterAll(() => hub.close());

  it('1. quote: created, sent, accepted, converted into a draft invoice; nothing posted', async () => {
    const quote = await post(hub, books, '/quotes', {
      customerId: books.customerId,
      lines: [
        { productId: widget, quantity: '4' },
        { productId: consulting, quantity: '7.5', discount: { type: 'PERCENT', basisPoints: 1000 }, taxRateId: books.tax },
        { description: 'Setup fee', quantity: '1', unitPrice: 25000 },
      ],
    });
    // 4 × 25.00 = 100.00 (+10.00 tax); 7.5 × 120.00 = 900.00 − 10% = 810.00 (+81.00 tax); 250.00 untaxed.
    expect(quote).toMatchObject({ status: 'DRAFT', subtotal: 125000, discountTotal: 9000, taxTotal: 9100, total: 125100 });
    expect((await post(hub, books, `/quotes/${quote.id}/send`, undefined, 200)).status).toBe('SENT');
    expect((await post(hub, books, `/quotes/${quote.id}/accept`, undefined, 200)).status).toBe('ACCEPTED');
    const invoice = await post(hub, books, `/quotes/${quote.id}/convert`, undefined);
    invoiceId = invoice.id;
    expect(invoice).toMatchObject({ status: 'DRAFT', number: null, quoteId: quote.id, total: 125100, balance: 125100, journalEntryId: null });
    const events = await stepEvents();
    expect(typesOf(events)).toEqual([['quote.created', quote.id], ['quote.sent', quote.id], ['email.sent', expect.any(String)], ['quote.accepted', quote.id], ['invoice.created', invoice.id], ['quote.converted', quote.id]]);
    expect(events[2].data.object).toMatchObject({ object: 'email', relatedObject: { type: 'quote', id: quote.id } });
    expect(events[4].data.object).toEqual(invoice);
    await expectBooks(0);
  });

  it('2. issue: numbered and posted Dr receivables / Cr revenue per account / Cr sales tax', async () => {
    const invoice = await post(hub, books, `/invoices/${invoiceId}/issue`, {}, 200);
    expect(invoice).toMatchObject({ status: 'SENT', number: expect.stringMatching(/^INV-0*1$/), balance: 125100, amountPaid: 0 });
    const events = await stepEvents();
    expect((await postingsOf(hub, books, invoice.journalEntryId)).sort()).toEqual([
      ['1100', 'DEBIT', 125100, 'USD'],
      ['2100', 'CREDIT', 9100, 'USD'],
      ['4000', 'CREDIT', 10000, 'USD'],
      ['4100', 'CREDIT', 106000, 'USD'],
    ]);
    expect(events.map((e: Json) => e.type)).toEqual(['journal_entry.created', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'account.balance_changed', 'invoice.issued']);
    expect(await balanceEvents(events)).toEqual(['1100', '2100', '4000', '4100']);
    expect(events[0].data.object).toEqual(await get(hub, books, `/journal-entries/${invoice.journalEntryId}`));
    expect(events[5].data.object).toEqual(invoice);
    await expectBooks(125100);
  });

  it('3. partial card payment with fees: Dr clearing (net) / Dr fees / Cr receivables; PARTIALLY_PAID', async () => {
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 50000, fees: 1480, method: 'CARD', depositAccount: 'payment_clearing', reference: 'ch_001', applications: [{ invoiceId, amount: 50000 }] });
    payments.push(payment);
    expect(payment).toMatchObject({ status: 'COMPLETED', net: 48520, appliedAmount: 50000, unappliedAmount: 0 });
    expect(await postingsOf(hub, books, payment.journalEntryId)).toEqual([['1050', 'DEBIT', 48520, 'USD'], ['6100', 'DEBIT', 1480, 'USD'], ['1100', 'CREDIT', 50000, 'USD']]);
    const invoice = await get(hub, books, `/invoices/${invoiceId}`);
    expect(invoice).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 50000, balance: 75100 });
    const events = await stepEvents();
    expect(typesOf(events).filter(([t]) => t !== 'account.balance_changed')).toEqual([['journal_entry.created', payment.journalEntryId], ['payment.succeeded', payment.id], ['invoice.partially_paid', invoiceId]]);
    expect(await balanceEvents(events)).toEqual(['1050', '1100', '6100']);
    expect(events.find((e: Json) => e.type === 'payment.succeeded').data.object).toEqual(payment);
    expect(events.find((e: Json) => e.type === 'invoice.partially_paid').data.object).toEqual(invoice);
    await expectBooks(75100);
  });

  it('4. full payment by bank transfer with 49.00 too much: the rest is customer credit; PAID', async () => {
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 80000, method: 'BANK_TRANSFER', applications: [{ invoiceId, amount: 75100 }] });
    payments.push(payment);
    expect(payment).toMatchObject({ appliedAmount: 75100, unappliedAmount: 4900 });
    expect(await postingsOf(hub, books, payment.journalEntryId)).toEqual([['1000', 'DEBIT', 80000, 'USD'], ['1100', 'CREDIT', 75100, 'USD'], ['2300', 'CREDIT', 4900, 'USD']]);
    const invoice = await get(hub, books, `/invoices/${invoiceId}`);
    expect(invoice).toMatchObject({ status: 'PAID', amountPaid: 125100, balance: 0, paidAt: expect.any(String) });
    const events = await stepEvents();
    expect(typesOf(events).filter(([t]) => t !== 'account.balance_changed')).toEqual([['journal_entry.created', payment.journalEntryId], ['payment.succeeded', payment.id], ['invoice.paid', invoiceId]]);
    expect(await balanceEvents(events)).toEqual(['1000', '1100', '2300']);
    expect(events.find((e: Json) => e.type === 'invoice.paid').data.object).toEqual(invoice);
    await expectBooks(0);
    const sheet = await get(hub, books, '/reports/balance-sheet?asOf=2999-12-31');
    expect(sheet.liabilities.accounts.find((a: Json) => a.code === '2300')?.amount).toBe(4900);
  });

  it('5. partial refund of the card payment: Cr clearing / Dr receivables; the invoice reopens', async () => {
    const refunded = await post(hub, books, `/payments/${payments[0].id}/refund`, { amount: 10000, reason: 'one hour not worked' }, 200);
    expect(refunded).toMatchObject({ status: 'COMPLETED', amountRefunded: 10000, appliedAmount: 40000, applications: [{ invoiceId, amount: 50000, amountRefunded: 10000 }] });
    const refund = refunded.refunds[0];
    expect(refund).toMatchObject({ amount: 10000, creditAmount: 0, invoices: [{ invoiceId, amount: 10000 }] });
    expect(await postingsOf(hub, books, refund.journalEntryId)).toEqual([['1050', 'CREDIT', 10000, 'USD'], ['1100', 'DEBIT', 10000, 'USD']]);
    const invoice = await get(hub, books, `/invoices/${invoiceId}`);
    expect(invoice).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 115100, balance: 10000, paidAt: null });
    const events = await stepEvents();
    expect(typesOf(events).filter(([t]) => t !== 'account.balance_changed')).toEqual([['journal_entry.created', refund.journalEntryId], ['payment.refunded', payments[0].id], ['invoice.updated', invoiceId]]);
    expect(await balanceEvents(events)).toEqual(['1050', '1100']);
    expect(events.find((e: Json) => e.type === 'payment.refunded').data).toEqual({ object: refunded, previousAttributes: { status: 'COMPLETED', amountRefunded: 0, appliedAmount: 50000, unappliedAmount: 0 } });
    expect(events.find((e: Json) => e.type === 'invoice.updated').data.object).toEqual(invoice);
    await expectBooks(10000);
  });

  it('6. the customer credit settles part of the reopened balance, a cash payment the rest', async () => {
    const applied = await post(hub, books, `/payments/${payments[1].id}/apply`, { applications: [{ invoiceId, amount: 4900 }] }, 200);
    expect(applied).toMatchObject({ appliedAmount: 80000, unappliedAmount: 0 });
    const entries = (await get(hub, books, `/journal-entries?sourceType=payment&sourceId=${payments[1].id}`)).data;
    expect(entries).toHaveLength(2);
    expect(await postingsOf(hub, books, entries[1].id)).toEqual([['2300', 'DEBIT', 4900, 'USD'], ['1100', 'CREDIT', 4900, 'USD']]);
    expect(await get(hub, books, `/invoices/${invoiceId}`)).toMatchObject({ status: 'PARTIALLY_PAID', balance: 5100 });
    let events = await stepEvents();
    expect(typesOf(events).filter(([t]) => t !== 'account.balance_changed')).toEqual([['journal_entry.created', entries[1].id], ['payment.applied', payments[1].id], ['invoice.partially_paid', invoiceId]]);
    expect(events.find((e: Json) => e.type === 'payment.applied').data).toEqual({ object: applied, previousAttributes: { appliedAmount: 75100, unappliedAmount: 4900 } });
    await expectBooks(5100);

    const last = await post(hub, books, '/payments', { customerId: books.customerId, amount: 5100, method: 'CASH', applications: [{ invoiceId, amount: 5100 }] });
    expect(await postingsOf(hub, books, last.journalEntryId)).toEqual([['1000', 'DEBIT', 5100, 'USD'], ['1100', 'CREDIT', 5100, 'USD']]);
    expect(await get(hub, books, `/invoices/${invoiceId}`)).toMatchObject({ status: 'PAID', amountPaid: 125100, balance: 0 });
    events = await stepEvents();
    expect(events.map((e: Json) => e.type).filter((t: string) => t !== 'account.balance_changed')).toEqual(['journal_entry.created', 'payment.succeeded', 'invoice.paid']);
    await expectBooks(0);

    const trial = await get(hub, books, '/reports/trial-balance?asOf=2999-12-31');
    const byCode = Object.fromEntries(trial.accounts.map((a: Json) => [a.code, a.debit - a.credit]));
    // Cash 800.00 + 51.00; clearing 485.20 − 100.00; revenue, tax and fees as posted; receivables and credits settled.
    expect(byCode).toEqual({ '1000': 85100, '1050': 38520, '2100': -9100, '4000': -10000, '4100': -106000, '6100': 1480 });
    expect(trial.totals).toEqual({ debit: 125100, credit: 125100 });
  });
});
