import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventTypes, getPdf, pdfText, setupSales, storedEvents, writeCounts, type SalesFixture } from './testing.js';

/** The PDF attached to an .eml (base64 part with an application/pdf content type). */
function attachedPdf(eml: string): Buffer {
  const part = eml.split('\n--').find((p) => /^Content-Type: application\/pdf/m.test(p));
  expect(part, 'a PDF attachment').toBeDefined();
  const [, ...body] = (part ?? '').split('\n\n');
  return Buffer.from(body.join('').replace(/\s+/g, ''), 'base64');
}

describe('quote PDF and email', () => {
  let hub: TestHub;
  let f: SalesFixture;

  beforeAll(async () => {
    hub = await createTestHub();
    f = await setupSales(hub);
  });
  afterAll(async () => {
    await hub.close();
  });

  const create = async (customerId = f.customerId) => {
    const res = await hub.request('POST', f.path('/quotes'), { body: { customerId, issueDate: '2026-03-02', validUntil: '2099-04-01', notes: 'Prices hold for 30 days', lines: [{ productId: f.widget, quantity: '4', discount: { type: 'PERCENT', basisPoints: 1000 } }, { description: 'Rush handling', quantity: '1', unitPrice: 1999, taxRateId: f.cityTax }] } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; number: string; total: number };
  };
  const outboxFiles = async (): Promise<string[]> => readdir(hub.outboxDir).catch(() => []);
  /** The emails written since `before` (a list of outbox file names). */
  const newEmails = async (before: string[]): Promise<string[]> => {
    const added = (await outboxFiles()).filter((file) => !before.includes(file));
    return Promise.all(added.map((file) => readFile(join(hub.outboxDir, file), 'utf8')));
  };

  it('renders the quote as a PDF: number, validity, customer, lines, taxes and totals, no payment section', async () => {
    const quote = await create();
    // 4 × 25.00 − 10% = 90.00, tax 8.25% = 7.43; 19.99 + 5% = 1.00: total 118.42.
    expect(quote).toMatchObject({ subtotal: 11999, discountTotal: 1000, taxTotal: 843, total: 11842, number: expect.stringMatching(/^QT-\d+$/) });
    const res = await getPdf(hub, f.path(`/quotes/${quote.id}/pdf`), f.org.apiKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${quote.number}.pdf"`);
    expect(res.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(res.body);
    for (const expected of [
      'Acme Ltd', 'QUOTE', quote.number, 'Issue date: 2026-03-02', 'Valid until: 2099-04-01', 'Roe Trading', 'jane@roe.example', '12345 Springfield',
      'Widget', '25.00', '10%', '8.25%', '90.00', 'Rush handling', '19.99', 'State tax (8.25%) on 90.00 USD: 7.43 USD', 'City tax (5%) on 19.99 USD: 1.00 USD',
      'Subtotal', '119.99 USD', 'Discounts', '-10.00 USD', 'Tax', '8.43 USD', 'Total', '118.42 USD', 'Prices hold for 30 days',
    ]) expect(text, expected).toContain(expected);
    for (const absent of ['INVOICE', 'Balance due', 'Amount paid', 'Due date']) expect(text, absent).not.toContain(absent);
    expect((await getPdf(hub, f.path('/quotes/quo_nothing/pdf'), f.org.apiKey)).status).toBe(404);
  });

  it('send emails the PDF to the customer and records quote.sent and email.sent; a reminder keeps the status', async () => {
    const quote = await create();
    const before = await outboxFiles();
    const sent = await hub.request('POST', f.path(`/quotes/${quote.id}/send`), { body: { message: 'Thanks for asking.' } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'SENT', number: quote.number, sentAt: expect.any(String) });
    const [eml, ...others] = await newEmails(before);
    expect(others).toEqual([]);
    expect(eml).toMatch(/^To: jane@roe\.example$/m);
    expect(eml).toMatch(/^From: Acme Ltd <no-reply@localhost>$/m);
    expect(eml).toMatch(new RegExp(`^Subject: Quote ${quote.number} from Acme Ltd$`, 'm'));
    expect(eml).toContain('Thanks for asking.');
    expect(eml).toContain(`Quote ${quote.number}, issued 2026-03-02, valid until 2099-04-01.`);
    expect(eml).toContain('Total: 118.42 USD.');
    expect(eml).toMatch(new RegExp(`^Content-Type: application/pdf; name=${quote.number}\\.pdf$`, 'm'));
    const pdf = attachedPdf(eml ?? '');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(pdf)).toContain('118.42 USD');

    expect(await eventTypes(hub, f.org.id, f.org.apiKey, quote.id)).toEqual(['quote.created', 'quote.sent']);
    const mail = (await storedEvents(hub, { type: 'email.sent' })).at(-1);
    expect(mail).toMatchObject({ aggregateType: 'email', data: { object: { object: 'email', to: 'jane@roe.example', subject: `Quote ${quote.number} from Acme Ltd`, transport: 'file', attachments: [`${quote.number}.pdf`], relatedObject: { type: 'quote', id: quote.id } } } });

    // Viewed, then sent again to another address: the email goes, the quote stays VIEWED.
    expect((await hub.request('POST', f.path(`/quotes/${quote.id}/view`))).body.status).toBe('VIEWED');
    const marks = await outboxFiles();
    const again = await hub.request('POST', f.path(`/quotes/${quote.id}/send`), { body: { to: 'buyer@roe.example' } });
    expect(again.body).toMatchObject({ status: 'VIEWED', viewedAt: expect.any(String) });
    expect((await newEmails(marks))[0]).toMatch(/^To: buyer@roe\.example$/m);
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, quote.id)).toEqual(['quote.created', 'quote.sent', 'quote.viewed', 'quote.sent']);
    expect((await storedEvents(hub, { type: 'email.sent' })).at(-1)?.data.object).toMatchObject({ to: 'buyer@roe.example', relatedObject: { type: 'quote', id: quote.id } });
  });

  it('refuses a customer without email (422), a decided quote (409) and unknown fields (400), writing and mailing nothing', async () => {
    const anonymous = (await hub.request('POST', f.path('/customers'), { body: { businessName: 'No Mail Inc' } })).body.id as string;
    const quote = await create(anonymous);
    const accepted = await create();
    await hub.request('POST', f.path(`/quotes/${accepted.id}/send`));
    await hub.request('POST', f.path(`/quotes/${accepted.id}/accept`));
    const counts = await writeCounts(hub);
    const files = await outboxFiles();

    const missing = await hub.request('POST', f.path(`/quotes/${quote.id}/send`));
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'CUSTOMER_EMAIL_MISSING', errors: [{ field: '/to' }] });
    const decided = await hub.request('POST', f.path(`/quotes/${accepted.id}/send`));
    expect(decided.status).toBe(409);
    expect(decided.body.code).toBe('INVALID_STATE_TRANSITION');
    const unknown = await hub.request('POST', f.path(`/quotes/${quote.id}/send`), { body: { to: 'x@example.com', cc: 'y@example.com' } });
    expect(unknown.status).toBe(400);

    expect(await writeCounts(hub)).toEqual(counts);
    expect(await outboxFiles()).toEqual(files);
    expect((await hub.request('GET', f.path(`/quotes/${quote.id}`))).body).toMatchObject({ status: 'DRAFT', sentAt: null });
    expect((await hub.request('POST', f.path(`/quotes/${quote.id}/send`), { body: { to: 'sales@nomail.example' } })).body.status).toBe('SENT');
  });

  it('a mail server failure is a 502 and nothing is recorded as sent', async () => {
    const quote = await create();
    const counts = await writeCounts(hub);
    const mailer = hub.core.services.mailer;
    const send = mailer.send;
    mailer.send = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:25');
    };
    try {
      const res = await hub.request('POST', f.path(`/quotes/${quote.id}/send`));
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'MAIL_DELIVERY_FAILED', detail: expect.stringMatching(/quote email to jane@roe\.example .*ECONNREFUSED/) });
    } finally {
      mailer.send = send;
    }
    expect(await writeCounts(hub)).toEqual(counts);
    expect(await eventTypes(hub, f.org.id, f.org.apiKey, quote.id)).toEqual(['quote.created']);
    expect((await hub.request('GET', f.path(`/quotes/${quote.id}`))).body).toMatchObject({ status: 'DRAFT', sentAt: null });
  });
});
