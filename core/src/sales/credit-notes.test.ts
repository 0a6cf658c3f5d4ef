import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { accountIds, eventTypes, postings, setupSales, sortPostings, writeCounts, type SalesFixture } from './testing.js';

describe('credit notes', () => {
  let hub: TestHub;
  let f: SalesFixture;
  let acc: Record<string, string>;
  let invoice: { id: string; number: string; total: number };

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
    acc = await accountIds(hub, f.org.id, f.org.apiKey);
    // 4 widgets (10000 + 825 tax) and an hour of consulting (12000, untaxed): 22825.
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-02-01', lines: [{ productId: f.widget, quantity: '4' }, { productId: f.consulting, quantity: '1' }] } })).body;
    invoice = (await hub.request('POST', f.path(`/invoices/${draft.id}/issue`))).body;
    expect(invoice.total).toBe(22825);
  });
  afterAll(() => hub.close());

  it('an itemised credit posts Dr revenue / Dr tax / Cr receivables and lowers the balance', async () => {
    const res = await hub.request('POST', f.path('/credit-notes'), { body: { invoiceId: invoice.id, lines: [{ productId: f.widget, quantity: '1' }], reason: 'One widget returned', date: '2026-02-05' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: 'credit_note', number: 'CN-00001', invoiceId: invoice.id, customerId: f.customerId, date: '2026-02-05', subtotal: 2500, taxTotal: 206, total: 2706, reason: 'One widget returned' });
    expect(await postings(hub, f.org.id, f.org.apiKey, res.body.journalEntryId)).toEqual(sortPostings([
      [acc['sales_revenue'] ?? '', 'DEBIT', 2500], [acc['sales_tax_payable'] ?? '', 'DEBIT', 206], [acc['receivables'] ?? '', 'CREDIT', 2706],
    ]));
    const after = (await hub.request('GET', f.path(`/invoices/${invoice.id}`))).body;
    expect(after).toMatchObject({ status: 'SENT', amountCredited: 2706, balance: 20119 });
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, res.body.id)).toEqual(['credit_note.created']);
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, invoice.id)).toEqual(['invoice.created', 'invoice.issued', 'invoice.updated']);
  });

  it('a lump sum is split over revenue and tax in the proportions the invoice posted, to the unit', async () => {
    const res = await hub.request('POST', f.path('/credit-notes'), { body: { invoiceId: invoice.id, amount: 1000, date: '2026-02-06' } });
    expect(res.status).toBe(201);
    // 1000 × (10000, 825, 12000) / 22825 = 438.12, 36.14, 525.74 → 438, 36, 526 (largest remainder).
    expect(res.body).toMatchObject({ number: 'CN-00002', lines: [], subtotal: 964, discountTotal: 0, taxTotal: 36, total: 1000 });
    expect(res.body.taxes).toEqual([{ taxRateId: f.stateTax, name: 'State tax', basisPoints: 825, taxableAmount: 438, amount: 36 }]);
    expect(await postings(hub, f.org.id, f.org.apiKey, res.body.journalEntryId)).toEqual(sortPostings([
      [acc['sales_revenue'] ?? '', 'DEBIT', 438], [acc['service_revenue'] ?? '', 'DEBIT', 526], [acc['sales_tax_payable'] ?? '', 'DEBIT', 36], [acc['receivables'] ?? '', 'CREDIT', 1000],
    ]));
    expect((await hub.request('GET', f.path(`/invoices/${invoice.id}`))).body.balance).toBe(19119);
  });

  it('never credits more than the balance, nor a draft, void or foreign invoice, and writes nothing when refused', async () => {
    const other = await setupSales(hub, 'Other Ltd');
    const theirDraft = (await hub.request('POST', other.path('/invoices'), { token: other.org.apiKey, body: { customerId: other.customerId, lines: [{ description: 'x', quantity: '1', unitPrice: 100 }] } })).body;
    const theirs = (await hub.request('POST', other.path(`/invoices/${theirDraft.id}/issue`), { token: other.org.apiKey })).body;
    const draft = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, lines: [{ description: 'x', quantity: '1', unitPrice: 100 }] } })).body;
    const before = await writeCounts(hub);
    const cases: Array<[unknown, number, string]> = [
      [{ invoiceId: invoice.id, amount: 19120 }, 422, 'CREDIT_EXCEEDS_BALANCE'],
      [{ invoiceId: invoice.id, lines: [{ productId: f.consulting, quantity: '2' }] }, 422, 'CREDIT_EXCEEDS_BALANCE'],
      [{ invoiceId: invoice.id, amount: 0 }, 400, 'VALIDATION_FAILED'],
      [{ invoiceId: invoice.id, amount: 10, lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] }, 400, 'VALIDATION_FAILED'],
      [{ invoiceId: invoice.id }, 400, 'VALIDATION_FAILED'],
      [{ invoiceId: invoice.id, amount: 10, date: '2026-01-01' }, 422, 'UNPROCESSABLE'],
      [{ invoiceId: draft.id, amount: 10 }, 422, 'UNPROCESSABLE'],
      [{ invoiceId: theirs.id, amount: 10 }, 422, 'UNPROCESSABLE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await hub.request('POST', f.path('/credit-notes'), { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect(await writeCounts(hub)).toEqual(before);
  });

  it('crediting the whole balance settles the invoice (PAID, invoice.paid); a credited invoice cannot be voided', async () => {
    const res = await hub.request('POST', f.path('/credit-notes'), { body: { invoiceId: invoice.id, amount: 19119 } });
    expect(res.status).toBe(201);
    const settled = (await hub.request('GET', f.path(`/invoices/${invoice.id}`))).body;
    expect(settled).toMatchObject({ status: 'PAID', amountCredited: 22825, amountPaid: 0, balance: 0, paidAt: expect.any(String) });
    expect((await eventTypes(hub, f.org.id, f.org.apiKey, invoice.id)).at(-1)).toBe('invoice.paid');
    const voided = await hub.request('POST', f.path(`/invoices/${invoice.id}/void`));
    expect(voided.status).toBe(409);
    expect(voided.body.code).toBe('INVOICE_HAS_PAYMENTS');
    const list = await hub.request('GET', f.path(`/credit-notes?invoiceId=${invoice.id}`));
    expect(list.body.data.map((c: { number: string; total: number }) => [c.number, c.total])).toEqual([['CN-00001', 2706], ['CN-00002', 1000], ['CN-00003', 19119]]);
    // A credit note is final, in the database too.
    await expect(hub.db.knex('credit_notes').where({ id: res.body.id }).update({ reason: 'edited' })).rejects.toThrow(/cannot be changed/);
  });
});
