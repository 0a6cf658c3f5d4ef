import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventTypes, setupSales, writeCounts, type SalesFixture, storedEvents } from './testing.js';

describe('quotes', () => {
  let hub: TestHub;
  let f: SalesFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
  });
  afterAll(async () => {
    await hub.close();
  });

  const create = async (extra: Record<string, unknown> = {}) => {
    const res = await hub.request('POST', f.path('/quotes'), { body: { customerId: f.customerId, lines: [{ productId: f.widget, quantity: '4' }, { description: 'Setup', quantity: '1', unitPrice: 5000 }], ...extra } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const act = (id: string, action: string) => hub.request('POST', f.path(`/quotes/${id}/${action}`));

  it('goes DRAFT → SENT → VIEWED → ACCEPTED, converts once into a draft invoice, with an event at each step', async () => {
    const quote = await create({ validUntil: '2099-12-31', notes: 'Valid for the year' });
    expect(quote).toMatchObject({ object: 'quote', status: 'DRAFT', number: 'QT-00001', currency: 'USD', subtotal: 15000, taxTotal: 825, total: 15825, invoiceId: null, validUntil: '2099-12-31' });
    expect((await act(quote.id, 'send')).body).toMatchObject({ status: 'SENT', sentAt: expect.any(String) });
    expect((await act(quote.id, 'view')).body).toMatchObject({ status: 'VIEWED', viewedAt: expect.any(String) });
    expect((await act(quote.id, 'view')).body.status).toBe('VIEWED');
    const accepted = await act(quote.id, 'accept');
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED', acceptedAt: expect.any(String) });

    const converted = await act(quote.id, 'convert');
    expect(converted.status).toBe(201);
    expect(converted.body).toMatchObject({ object: 'invoice', status: 'DRAFT', quoteId: quote.id, customerId: f.customerId, total: 15825, notes: 'Valid for the year' });
    expect(converted.body.lines).toEqual(quote.lines);
    expect((await hub.request('GET', f.path(`/quotes/${quote.id}`))).body).toMatchObject({ status: 'ACCEPTED', invoiceId: converted.body.id });

    const before = await writeCounts(hub);
    const again = await act(quote.id, 'convert');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('QUOTE_ALREADY_CONVERTED');
    expect(await writeCounts(hub)).toEqual(before);

    expect(await eventTypes(hub, f.org.id, f.org.apiKey, quote.id)).toEqual(['quote.created', 'quote.sent', 'quote.viewed', 'quote.accepted', 'quote.converted']);
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, converted.body.id)).toEqual(['invoice.created']);
    // The database holds the rule too: a second invoice cannot name the same quote.
    const other = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] } })).body;
    await expect(hub.db.knex('invoices').where({ id: other.id }).update({ quote_id: quote.id })).rejects.toThrow(/unique/);
  });

  it('refuses illegal transitions with 409 INVALID_STATE_TRANSITION and changes nothing', async () => {
    const draft = await create();
    const rejected = await create();
    await act(rejected.id, 'send');
    expect((await act(rejected.id, 'reject')).body).toMatchObject({ status: 'REJECTED', rejectedAt: expect.any(String) });
    const before = await writeCounts(hub);
    const illegal: Array<[string, string]> = [
      [draft.id, 'accept'], [draft.id, 'reject'], [draft.id, 'view'], [draft.id, 'convert'],
      [rejected.id, 'accept'], [rejected.id, 'send'], [rejected.id, 'convert'], [rejected.id, 'view'],
    ];
    for (const [id, action] of illegal) {
      const res = await act(id, action);
      expect(res.status, `${action} on ${id}`).toBe(409);
      expect(res.body.code).toBe('INVALID_STATE_TRANSITION');
    }
    expect(await writeCounts(hub)).toEqual(before);
    expect((await act('quo_nothing', 'send')).status).toBe(404);
  });

  it('refuses an unknown or foreign customer, a deactivated product and a validity before the issue date', async () => {
    const other = await setupSales(hub, 'Other Ltd');
    const before = await writeCounts(hub);
    const line = { description: 'x', quantity: '1', unitPrice: 100 };
    const cases: Array<[unknown, number, string]> = [
      [{ customerId: other.customerId, lines: [line] }, 422, '/customerId'],
      [{ customerId: 'cus_unknown', lines: [line] }, 422, '/customerId'],
      [{ customerId: f.customerId, lines: [{ productId: other.widget, quantity: '1' }] }, 422, '/lines/0/productId'],
      [{ customerId: f.customerId, issueDate: '2026-02-01', validUntil: '2026-01-31', lines: [line] }, 422, '/validUntil'],
      [{ customerId: f.customerId, currency: 'EURO', lines: [line] }, 400, '/currency'],
      [{ customerId: f.customerId, lines: [{ ...line, quantity: '-2' }] }, 400, '/lines/0/quantity'],
    ];
    for (const [body, status, field] of cases) {
      const res = await hub.request('POST', f.path('/quotes'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await writeCounts(hub)).toEqual(before);
  });

  it('expires sent and viewed quotes after validUntil (the job), and an expired quote cannot be accepted', async () => {
    const sent = await create({ issueDate: '2026-01-01', validUntil: '2026-01-31' });
    const viewed = await create({ issueDate: '2026-01-01', validUntil: '2026-01-31' });
    const later = await create({ issueDate: '2026-01-01', validUntil: '2026-02-28' });
    const stillDraft = await create({ issueDate: '2026-01-01', validUntil: '2026-01-15' });
    for (const q of [sent, viewed, later]) await act(q.id, 'send');
    await act(viewed.id, 'view');

    // validUntil is the last day a quote can be accepted: on that day nothing expires.
    expect((await hub.core.services.quotes.expireDue('2026-01-31')).map((q) => q.id)).toEqual([]);
    const expired = await hub.core.services.quotes.expireDue('2026-02-01');
    expect(expired.map((q) => [q.id, q.status])).toEqual([[sent.id, 'EXPIRED'], [viewed.id, 'EXPIRED']]);
    expect(await hub.core.services.quotes.expireDue('2026-02-01')).toEqual([]);
    expect((await hub.request('GET', f.path(`/quotes/${stillDraft.id}`))).body.status).toBe('DRAFT');
    const events = await storedEvents(hub, { aggregateId: viewed.id });
    expect(events.map((e: { type: string }) => e.type)).toEqual(['quote.created', 'quote.sent', 'quote.viewed', 'quote.expired']);
    expect(events[3]?.metadata).toEqual({ source: 'SYSTEM' });
    expect(events[3]?.data.object).toMatchObject({ status: 'EXPIRED', expiredAt: expect.any(String) });
    expect((await act(sent.id, 'accept')).body.code).toBe('INVALID_STATE_TRANSITION');
    // Past its validity (today is after 2026-02-28) even before the job ran, acceptance is refused.
    const late = await act(later.id, 'accept');
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/valid until 2026-02-28/);
  });

  it('core.start() schedules the jobs and catches up at once', async () => {
    const stale = await create({ issueDate: '2026-01-01', validUntil: '2026-01-02' });
    await act(stale.id, 'send');
    await hub.core.start();
    // stop() waits for the runs in progress: the start-up catch-up has run when it returns.
    await hub.core.stop();
    expect((await hub.request('GET', f.path(`/quotes/${stale.id}`))).body.status).toBe('EXPIRED');
  });

  it('lists quotes by status and customer', async () => {
    const list = await hub.request('GET', f.path(`/quotes?status=EXPIRED&customerId=${f.customerId}&limit=1`));
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].status).toBe('EXPIRED');
    expect(list.body.nextCursor).toEqual(expect.any(String));
  });
});
