import type { EventMetadata } from '@uah/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventTypes, setupSales, writeCounts, type SalesFixture, storedEvents } from './testing.js';

/** The InvoiceService contract the payments context builds on, exercised through the service in a transaction. */
describe('invoice settlement (applyPayment, unapplyPayment, getForUpdate, listOpen)', () => {
  let hub: TestHub;
  let f: SalesFixture;
  const meta: EventMetadata = { source: 'API', correlationId: 'req_test' };
  const invoices = () => hub.core.services.invoices;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
  });
  afterAll(() => hub.close());

  const issued = async (issueDate = '2026-04-01', dueDate = '2026-04-30'): Promise<string> => {
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate, dueDate, lines: [{ productId: f.widget, quantity: '4' }] } })).body;
    expect((await hub.request('POST', f.path(`/invoices/${draft.id}/issue`))).status).toBe(200);
    return draft.id as string;
  };
  const inTrx = <T>(work: (trx: Parameters<Parameters<TestHub['db']['knex']['transaction']>[0]>[0]) => Promise<T>) => hub.db.knex.transaction(work);

  it('partial then full payment: PARTIALLY_PAID then PAID, with invoice.partially_paid and invoice.paid', async () => {
    const id = await issued();
    const partial = await inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 4000, meta));
    expect(partial).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 4000, balance: 6825, paidAt: null });
    const before = await writeCounts(hub);
    await expect(inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 6826, meta))).rejects.toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE', status: 422 });
    await expect(inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 0, meta))).rejects.toMatchObject({ status: 422 });
    expect(await writeCounts(hub)).toEqual(before);
    const paid = await inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 6825, meta));
    expect(paid).toMatchObject({ status: 'PAID', amountPaid: 10825, balance: 0, paidAt: expect.any(String) });
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, id)).toEqual(['invoice.created', 'invoice.issued', 'invoice.partially_paid', 'invoice.paid']);
    const events = await storedEvents(hub, { aggregateId: id });
    expect(events[2]?.data.previousAttributes).toEqual({ status: 'SENT', amountPaid: 0, balance: 10825 });
    expect(events[3]?.metadata).toEqual(meta);
  });

  it('unapplying (a refund) reopens the invoice with invoice.updated; more than was paid is refused', async () => {
    const id = await issued();
    await inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 10825, meta));
    const reopened = await inTrx((trx) => invoices().unapplyPayment(trx, f.org.id, id, 3000, meta));
    expect(reopened).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 7825, balance: 3000, paidAt: null });
    const untouched = await inTrx((trx) => invoices().unapplyPayment(trx, f.org.id, id, 7825, meta));
    expect(untouched).toMatchObject({ status: 'SENT', amountPaid: 0, balance: 10825 });
    await expect(inTrx((trx) => invoices().unapplyPayment(trx, f.org.id, id, 1, meta))).rejects.toMatchObject({ status: 422 });
    expect((await eventTypes(hub, f.org.id, f.org.apiKey, id)).slice(-2)).toEqual(['invoice.updated', 'invoice.updated']);
    const voided = await hub.request('POST', f.path(`/invoices/${id}/void`));
    expect(voided.body.status).toBe('CANCELLED');
  });

  it('refuses payments to drafts and cancelled invoices, and to another organization\'s invoice', async () => {
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, lines: [{ productId: f.widget, quantity: '1' }] } })).body.id as string;
    await expect(inTrx((trx) => invoices().applyPayment(trx, f.org.id, draft, 100, meta))).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/DRAFT/) });
    const cancelled = await issued();
    await hub.request('POST', f.path(`/invoices/${cancelled}/void`));
    await expect(inTrx((trx) => invoices().applyPayment(trx, f.org.id, cancelled, 100, meta))).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/CANCELLED/) });
    const other = await setupSales(hub, 'Other Ltd');
    await expect(inTrx((trx) => invoices().getForUpdate(trx, other.org.id, cancelled))).rejects.toMatchObject({ status: 404 });
  });

  it('a partial payment on an OVERDUE invoice keeps it OVERDUE; a paid invoice cannot be voided', async () => {
    const id = await issued('2026-04-01', '2026-04-15');
    await invoices().markOverdue('2026-04-16');
    const partial = await inTrx((trx) => invoices().applyPayment(trx, f.org.id, id, 825, meta));
    expect(partial).toMatchObject({ status: 'OVERDUE', balance: 10000 });
    expect((await eventTypes(hub, f.org.id, f.org.apiKey, id)).at(-1)).toBe('invoice.partially_paid');
    const voided = await hub.request('POST', f.path(`/invoices/${id}/void`));
    expect(voided.status).toBe(409);
    expect(voided.body.code).toBe('INVOICE_HAS_PAYMENTS');
  });

  it('listOpen gives the issued invoices with a balance, issued on or before the date', async () => {
    const early = await issued('2026-05-01', '2026-05-31');
    const late = await issued('2026-06-01', '2026-06-30');
    const paid = await issued('2026-05-02', '2026-05-31');
    await inTrx((trx) => invoices().applyPayment(trx, f.org.id, paid, 10825, meta));
    const open = (await invoices().listOpen(f.org.id, '2026-05-31')).map((i) => i.id);
    expect(open).toContain(early);
    expect(open).not.toContain(late);
    expect(open).not.toContain(paid);
    const all = await invoices().listOpen(f.org.id, '2026-12-31');
    expect(all.every((i) => i.balance > 0 && ['SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE'].includes(i.status))).toBe(true);
    expect(all.map((i) => i.id)).toContain(late);
    const locked = await inTrx((trx) => invoices().getForUpdate(trx, f.org.id, early));
    expect(locked).toMatchObject({ id: early, balance: 10825, status: 'SENT' });
  });
});
