import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { setupSales, type SalesFixture } from './testing.js';

describe('invoice numbering', () => {
  let hub: TestHub;
  let f: SalesFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
  });
  afterAll(() => hub.close());

  const draft = async (customerId = f.customerId): Promise<string> =>
    (await hub.request('POST', f.path('/invoices'), { body: { customerId, lines: [{ description: 'Work', quantity: '1', unitPrice: 1000 }] } })).body.id as string;

  it('has defaults before anything is configured', async () => {
    const settings = await hub.request('GET', f.path('/invoice-settings'));
    expect(settings.body).toEqual({
      object: 'invoice_settings', organizationId: f.org.id, prefix: 'INV-', nextNumber: 1, creditNotePrefix: 'CN-', nextCreditNoteNumber: 1,
      quotePrefix: 'QT-', nextQuoteNumber: 1, numberDigits: 5, paymentTermsDays: 30, updatedAt: null,
    });
  });

  it('gives 30 invoices issued at once the numbers 1 to 30, each once, without gaps', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => draft()));
    const results = await Promise.all(ids.map((id) => hub.request('POST', f.path(`/invoices/${id}/issue`))));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    const numbers = results.map((r) => r.body.number as string).sort();
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => `INV-${String(i + 1).padStart(5, '0')}`));
    expect((await hub.request('GET', f.path('/invoice-settings'))).body.nextNumber).toBe(31);
  });

  it('a failed issue gives its number back: the next invoice takes it', async () => {
    const euroCustomer = (await hub.request('POST', f.path('/customers'), { body: { businessName: 'Euro GmbH', currency: 'EUR' } })).body.id as string;
    const failing = await draft(euroCustomer);
    expect((await hub.request('POST', f.path(`/invoices/${failing}/issue`))).status).toBe(422);
    const ok = await draft();
    expect((await hub.request('POST', f.path(`/invoices/${ok}/issue`))).body.number).toBe('INV-00031');
  });

  it('takes a new prefix and width, moves the counter forward only, and sets the default terms', async () => {
    const updated = await hub.request('PUT', f.path('/invoice-settings'), { body: { prefix: '2026/', numberDigits: 3, nextNumber: 100, paymentTermsDays: 14 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ prefix: '2026/', numberDigits: 3, nextNumber: 100, paymentTermsDays: 14, updatedAt: expect.any(String) });
    const back = await hub.request('PUT', f.path('/invoice-settings'), { body: { nextNumber: 50 } });
    expect(back.status).toBe(422);
    expect(back.body.errors[0].field).toBe('/nextNumber');
    expect((await hub.request('PUT', f.path('/invoice-settings'), { body: { prefix: 'bad;prefix' } })).status).toBe(400);
    expect((await hub.request('PUT', f.path('/invoice-settings'), { body: {} })).status).toBe(400);

    const created = (await hub.request('POST', f.path('/invoices'), { body: { customerId: f.customerId, issueDate: '2026-05-01', lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] } })).body;
    expect(created.dueDate).toBe('2026-05-15');
    expect((await hub.request('POST', f.path(`/invoices/${created.id}/issue`))).body.number).toBe('2026/100');
    expect((await hub.request('GET', f.path('/invoice-settings'))).body.nextNumber).toBe(101);
  });

  it('numbers each organization on its own', async () => {
    const other = await setupSales(hub, 'Other Ltd');
    const id = (await hub.request('POST', other.path('/invoices'), { token: other.org.apiKey, body: { customerId: other.customerId, lines: [{ description: 'x', quantity: '1', unitPrice: 1 }] } })).body.id;
    expect((await hub.request('POST', other.path(`/invoices/${id}/issue`), { token: other.org.apiKey })).body.number).toBe('INV-00001');
  });

  it('issues an imported invoice under its own number, once, leaving the sequence alone', async () => {
    const before = (await hub.request('GET', f.path('/invoice-settings'))).body.nextNumber as number;
    const [first, second] = await Promise.all([draft(), draft()]);
    const issued = await hub.request('POST', f.path(`/invoices/${first}/issue`), { body: { number: 'SHOP-1001' } });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ number: 'SHOP-1001', status: 'SENT' });
    const again = await hub.request('POST', f.path(`/invoices/${second}/issue`), { body: { number: 'SHOP-1001' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('DUPLICATE_INVOICE_NUMBER');
    expect((await hub.request('GET', f.path(`/invoices/${second}`))).body.status).toBe('DRAFT');
    expect((await hub.request('POST', f.path(`/invoices/${second}/issue`), { body: { number: ' bad number' } })).status).toBe(400);
    expect((await hub.request('GET', f.path('/invoice-settings'))).body.nextNumber).toBe(before);
  });
});
