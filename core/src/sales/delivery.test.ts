import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventTypes, getPdf, pdfText, setupSales, writeCounts, type SalesFixture, storedEvents } from './testing.js';

describe('invoice PDF and email', () => {
  let hub: TestHub;
  let f: SalesFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
  });
  afterAll(async () => {
    await hub.close();
  });

  const draft = async (customerId = f.customerId) =>
    (await hub.request('POST', f.path('/invoices'), { body: { customerId, issueDate: '2026-03-02', dueDate: '2026-04-01', notes: 'Bank: IBAN XX00 1234', lines: [{ productId: f.widget, quantity: '4', discount: { type: 'PERCENT', basisPoints: 1000 } }, { description: 'Rush handling', quantity: '1', unitPrice: 1999, taxRateId: f.cityTax }] } })).body as { id: string };

  it('renders a real PDF with the organization, customer, lines, taxes and totals', async () => {
    const { id } = await draft();
    const draftPdf = await getPdf(hub, f.path(`/invoices/${id}/pdf`), f.org.apiKey);
    expect(pdfText(draftPdf.body)).toContain('DRAFT');
    const invoice = (await hub.request('POST', f.path(`/invoices/${id}/issue`))).body;
    // 4 × 25.00 − 10% = 90.00, tax 8.25% = 7.43 (7.425 → 7.43); 19.99 + 5% = 1.00 (0.9995 → 1.00): total 118.42.
    expect(invoice).toMatchObject({ subtotal: 11999, discountTotal: 1000, taxTotal: 843, total: 11842 });
    const res = await getPdf(hub, f.path(`/invoices/${id}/pdf`), f.org.apiKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${invoice.number}.pdf"`);
    const pdf = res.body;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF/);
    const text = pdfText(pdf);
    for (const expected of [
      'Acme Ltd', 'INVOICE', invoice.number, 'Issue date: 2026-03-02', 'Due date: 2026-04-01', 'Roe Trading', 'jane@roe.example', '1 Main St', '12345 Springfield', 'US',
      'Widget', '25.00', '10%', '8.25%', '90.00', 'Rush handling', '19.99', '5%',
      'State tax (8.25%) on 90.00 USD: 7.43 USD', 'City tax (5%) on 19.99 USD: 1.00 USD',
      'Subtotal', '119.99 USD', 'Discounts', '-10.00 USD', 'Tax', '8.43 USD', 'Total', '118.42 USD', 'Amount paid', '0.00 USD', 'Balance due', 'Bank: IBAN XX00 1234',
    ]) expect(text, expected).toContain(expected);
    expect((await hub.request('GET', f.path('/invoices/inv_nothing/pdf'))).status).toBe(404);
  });

  it('send issues a draft, emails the PDF to the customer, and records invoice.sent and email.sent', async () => {
    const { id } = await draft();
    const sent = await hub.request('POST', f.path(`/invoices/${id}/send`), { body: { message: 'Thanks for your order.' } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'SENT', number: expect.stringMatching(/^INV-/), sentAt: expect.any(String), journalEntryId: expect.any(String) });
    const files = await readdir(hub.outboxDir);
    const emails = await Promise.all(files.map((file) => readFile(join(hub.outboxDir, file), 'utf8')));
    const eml = emails.find((e) => e.includes(`Subject: Invoice ${sent.body.number} from Acme Ltd`));
    expect(eml).toBeDefined();
    expect(eml).toMatch(/^To: jane@roe\.example$/m);
    expect(eml).toMatch(/^From: Acme Ltd <no-reply@localhost>$/m);
    expect(eml).toContain('Thanks for your order.');
    expect(eml).toContain(`Total: 118.42 USD. Balance due: 118.42 USD.`);
    expect(eml).toMatch(new RegExp(`^Content-Type: application/pdf; name=${sent.body.number}\\.pdf$`, 'm'));
    expect(eml).toContain('JVBERi0'); // base64 of "%PDF-"

    expect(await eventTypes(hub, f.org.id, f.org.apiKey, id)).toEqual(['invoice.created', 'invoice.issued', 'invoice.sent']);
    const mail = (await storedEvents(hub, { type: 'email.sent' })).at(-1);
    expect(mail).toMatchObject({ aggregateType: 'email', data: { object: { object: 'email', to: 'jane@roe.example', subject: `Invoice ${sent.body.number} from Acme Ltd`, transport: 'file', attachments: [`${sent.body.number}.pdf`], relatedObject: { type: 'invoice', id } } } });

    // Sending again (a reminder) emails again and records it again; the invoice stays as it was.
    const again = await hub.request('POST', f.path(`/invoices/${id}/send`), { body: { to: 'ap@roe.example' } });
    expect(again.body).toMatchObject({ status: 'SENT', number: sent.body.number });
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, id)).toEqual(['invoice.created', 'invoice.issued', 'invoice.sent', 'invoice.sent']);
    expect(await readdir(hub.outboxDir)).toHaveLength(files.length + 1);
  });

  it('needs an address: a customer without email gets 422 and the draft stays a draft', async () => {
    const anonymous = (await hub.request('POST', f.path('/customers'), { body: { businessName: 'No Mail Inc' } })).body.id;
    const { id } = await draft(anonymous);
    const before = await writeCounts(hub);
    const res = await hub.request('POST', f.path(`/invoices/${id}/send`));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CUSTOMER_EMAIL_MISSING');
    expect(await writeCounts(hub)).toEqual(before);
    expect((await hub.request('GET', f.path(`/invoices/${id}`))).body.status).toBe('DRAFT');
    expect((await hub.request('POST', f.path(`/invoices/${id}/send`), { body: { to: 'billing@nomail.example' } })).body.status).toBe('SENT');
  });

  it('a mail server failure is a 502 and nothing is recorded as sent', async () => {
    const { id } = await draft();
    await hub.request('POST', f.path(`/invoices/${id}/issue`));
    const mailer = hub.core.services.mailer;
    const send = mailer.send;
    mailer.send = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:25');
    };
    try {
      const res = await hub.request('POST', f.path(`/invoices/${id}/send`));
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'MAIL_DELIVERY_FAILED', detail: expect.stringMatching(/ECONNREFUSED/) });
    } finally {
      mailer.send = send;
    }
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, id)).toEqual(['invoice.created', 'invoice.issued']);
    expect((await hub.request('GET', f.path(`/invoices/${id}`))).body.sentAt).toBeNull();
  });
});
