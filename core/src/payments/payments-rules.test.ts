import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { checkBooks, get, issuedInvoice, post, postingsOf, setupBooks, writeCounts, type Books } from './testing.js';

describe('payments: refused requests, concurrency and foreign currency', () => {
  let hub: TestHub;
  let books: Books;
  let other: Books;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Rules Ltd', 'USD');
    other = await setupBooks(hub, 'Other Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('refuses bad payments with a clear 4xx naming the field, and writes nothing', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 1000 }]);
    const foreignInvoice = await issuedInvoice(hub, other, [{ unitPrice: 1000 }]);
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, lines: [{ description: 'Draft', quantity: '1', unitPrice: 100 }] });
    const otherCustomer = await post(hub, books, '/customers', { businessName: 'Someone else' });
    const otherInvoice = await post(hub, books, '/invoices', { customerId: otherCustomer.id, lines: [{ description: 'X', quantity: '1', unitPrice: 100 }] });
    await post(hub, books, `/invoices/${otherInvoice.id}/issue`, {}, 200);
    const ok = { customerId: books.customerId, amount: 500, method: 'CASH' };
    const apply = (amount: number, invoiceId = invoice.id) => ({ ...ok, amount: Math.max(amount, 500), applications: [{ invoiceId, amount }] });
    const cases: Array<[string, Record<string, unknown>, number, string, string]> = [
      ['float amount', { ...ok, amount: 10.5 }, 400, 'VALIDATION_FAILED', '/amount'],
      ['zero amount', { ...ok, amount: 0 }, 400, 'VALIDATION_FAILED', '/amount'],
      ['negative amount', { ...ok, amount: -500 }, 400, 'VALIDATION_FAILED', '/amount'],
      ['amount as a string', { ...ok, amount: '500' }, 400, 'VALIDATION_FAILED', '/amount'],
      ['unknown currency', { ...ok, currency: 'XYZ' }, 400, 'VALIDATION_FAILED', '/currency'],
      ['unknown method', { ...ok, method: 'BARTER' }, 400, 'VALIDATION_FAILED', '/method'],
      ['unknown field', { ...ok, tip: 5 }, 400, 'VALIDATION_FAILED', '/tip'],
      ['fees above the amount', { ...ok, fees: 501 }, 400, 'VALIDATION_FAILED', '/fees'],
      ['foreign currency without a rate', { ...ok, currency: 'EUR' }, 400, 'VALIDATION_FAILED', '/exchangeRate'],
      ['a rate for the base currency', { ...ok, exchangeRate: '1.1' }, 400, 'VALIDATION_FAILED', '/exchangeRate'],
      ["another organization's customer", { ...ok, customerId: other.customerId }, 422, 'UNPROCESSABLE', '/customerId'],
      ["another organization's invoice", apply(100, foreignInvoice.id), 422, 'UNPROCESSABLE', '/applications/0/invoiceId'],
      ["another customer's invoice", apply(100, otherInvoice.id), 422, 'UNPROCESSABLE', '/applications/0/invoiceId'],
      ['a draft invoice', apply(100, draft.id), 422, 'UNPROCESSABLE', '/applications/0/invoiceId'],
      ['an invoice in another currency', { ...apply(100), currency: 'EUR', exchangeRate: '1.1' }, 422, 'UNPROCESSABLE', '/applications/0/invoiceId'],
      ['more than the invoice balance', apply(1001), 422, 'PAYMENT_EXCEEDS_BALANCE', '/applications/0/amount'],
      ['applications above the amount', { ...ok, applications: [{ invoiceId: invoice.id, amount: 501 }] }, 422, 'APPLICATIONS_EXCEED_PAYMENT', '/applications'],
      ['the same invoice twice', { ...ok, applications: [{ invoiceId: invoice.id, amount: 100 }, { invoiceId: invoice.id, amount: 100 }] }, 400, 'VALIDATION_FAILED', '/applications/1/invoiceId'],
    ];
    const before = await writeCounts(hub);
    for (const [name, body, status, code, field] of cases) {
      const res = await hub.request('POST', books.path('/payments'), { token: books.org.apiKey, body });
      expect([name, res.status, res.body.code], JSON.stringify(res.body)).toEqual([name, status, code]);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field), name).toContain(field);
    }
    expect(await writeCounts(hub)).toEqual(before);
  });

  it('refuses a payment dated on or before the lock date, and writes nothing', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 1000 }], { issueDate: '2026-02-01' });
    const lock = await hub.request('PUT', books.path('/ledger/settings'), { token: books.org.apiKey, body: { lockDate: '2026-02-28' } });
    expect(lock.status).toBe(200);
    const before = await writeCounts(hub);
    for (const body of [
      { customerId: books.customerId, amount: 1000, method: 'CASH', date: '2026-02-28', applications: [{ invoiceId: invoice.id, amount: 1000 }] },
      { customerId: books.customerId, amount: 1000, method: 'CASH', processedAt: '2026-02-10T12:00:00Z' },
    ]) {
      const res = await hub.request('POST', books.path('/payments'), { token: books.org.apiKey, body });
      expect([res.status, res.body.code]).toEqual([422, 'PERIOD_LOCKED']);
    }
    expect(await writeCounts(hub)).toEqual(before);
    const later = await post(hub, books, '/payments', { customerId: books.customerId, amount: 1000, method: 'CASH', date: '2026-03-01', applications: [{ invoiceId: invoice.id, amount: 1000 }] });
    expect(later).toMatchObject({ status: 'COMPLETED', date: '2026-03-01' });
    await hub.request('PUT', books.path('/ledger/settings'), { token: books.org.apiKey, body: { lockDate: null } });
  });

  it('never lets parallel payments take an invoice past its balance', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 1000 }]);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => hub.request('POST', books.path('/payments'), { token: books.org.apiKey, body: { customerId: books.customerId, amount: 150, method: 'CARD', applications: [{ invoiceId: invoice.id, amount: 150 }] } })),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(6).fill(201), ...Array(4).fill(422)]);
    expect(attempts.filter((r) => r.status === 422).every((r) => r.body.code === 'PAYMENT_EXCEEDS_BALANCE')).toBe(true);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 900, balance: 100 });
    await checkBooks(hub, books);
  });

  it('never refunds more than a payment, whatever the number of parallel refunds', async () => {
    const payment = await post(hub, books, '/payments', { customerId: books.customerId, amount: 1000, method: 'PAYPAL' });
    const attempts = await Promise.all(Array.from({ length: 5 }, () => hub.request('POST', books.path(`/payments/${payment.id}/refund`), { token: books.org.apiKey, body: { amount: 300 } })));
    expect(attempts.map((r) => r.status).sort()).toEqual([200, 200, 200, 422, 422]);
    expect(await get(hub, books, `/payments/${payment.id}`)).toMatchObject({ status: 'COMPLETED', amountRefunded: 900, unappliedAmount: 100 });
    const last = await post(hub, books, `/payments/${payment.id}/refund`, {}, 200);
    expect(last).toMatchObject({ status: 'REFUNDED', amountRefunded: 1000, unappliedAmount: 0 });
    expect(last.refunds.map((r: { amount: number }) => r.amount)).toEqual([300, 300, 300, 100]);
  });

  it('refuses a payment over invoices of two currencies', async () => {
    const usd = await issuedInvoice(hub, books, [{ unitPrice: 1000 }]);
    const eur = await issuedInvoice(hub, books, [{ unitPrice: 1000 }], { currency: 'EUR', exchangeRate: '1.1' });
    const before = await writeCounts(hub);
    const [first, second] = usd.id < eur.id ? [usd, eur] : [eur, usd];
    const res = await hub.request('POST', books.path('/payments'), { token: books.org.apiKey, body: { customerId: books.customerId, amount: 2000, method: 'CASH', applications: [{ invoiceId: first.id, amount: 1000 }, { invoiceId: second.id, amount: 1000 }] } });
    expect([res.status, res.body.code, res.body.errors[0].field]).toEqual([422, 'UNPROCESSABLE', '/applications/1/invoiceId']);
    expect(await writeCounts(hub)).toEqual(before);
  });

  it('posts a foreign-currency payment at its rate, with the realized FX difference, so receivables clear in base currency', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 10000 }], { currency: 'EUR', exchangeRate: '1.1' });
    expect(await postingsOf(hub, books, invoice.journalEntryId)).toEqual([['1100', 'DEBIT', 10000, 'EUR'], ['4100', 'CREDIT', 10000, 'EUR']]);
    const part = await post(hub, books, '/payments', { customerId: books.customerId, amount: 3333, currency: 'EUR', exchangeRate: '1.2', method: 'BANK_TRANSFER', applications: [{ invoiceId: invoice.id, amount: 3333 }] });
    expect(part).toMatchObject({ currency: 'EUR', exchangeRate: '1.2' });
    // 33.33 EUR relieves 36.66 USD of the receivable booked at 1.1 and brings 40.00 USD at 1.2: 3.34 USD gain.
    expect(await postingsOf(hub, books, part.journalEntryId)).toEqual([['1000', 'DEBIT', 3333, 'EUR'], ['1100', 'CREDIT', 3333, 'EUR'], ['1100', 'DEBIT', 334, 'USD'], ['7900', 'CREDIT', 334, 'USD']]);
    const rest = await post(hub, books, '/payments', { customerId: books.customerId, amount: 6667, currency: 'EUR', exchangeRate: '1.0', method: 'BANK_TRANSFER', applications: [{ invoiceId: invoice.id, amount: 6667 }] });
    // 66.67 EUR relieves the remaining 73.34 USD and brings 66.67 USD: 6.67 USD loss.
    expect(await postingsOf(hub, books, rest.journalEntryId)).toEqual([['1000', 'DEBIT', 6667, 'EUR'], ['1100', 'CREDIT', 6667, 'EUR'], ['1100', 'CREDIT', 667, 'USD'], ['7900', 'DEBIT', 667, 'USD']]);
    expect(await get(hub, books, `/invoices/${invoice.id}`)).toMatchObject({ status: 'PAID', balance: 0 });
    const lines = await hub.db.knex('journal_lines').join('accounts', 'accounts.id', 'journal_lines.account_id').where('journal_lines.organization_id', books.org.id).whereIn('journal_lines.entry_id', [invoice.journalEntryId, part.journalEntryId, rest.journalEntryId]).select('accounts.code', 'journal_lines.direction', 'journal_lines.base_amount');
    const net = (code: string) => lines.filter((l) => l.code === code).reduce((s, l) => s + (l.direction === 'DEBIT' ? 1 : -1) * Number(l.baseAmount), 0);
    expect([net('1100'), net('7900'), net('1000'), net('4100')]).toEqual([0, 333, 10667, -11000]);
    await checkBooks(hub, books);

    // Refunding the second payment reverses its FX loss: the receivable is back at its value at the invoice rate.
    const refunded = await post(hub, books, `/payments/${rest.id}/refund`, {}, 200);
    expect(await postingsOf(hub, books, refunded.refunds[0].journalEntryId)).toEqual([['1000', 'CREDIT', 6667, 'EUR'], ['1100', 'DEBIT', 6667, 'EUR'], ['1100', 'DEBIT', 667, 'USD'], ['7900', 'CREDIT', 667, 'USD']]);
    const aging = await get(hub, books, '/reports/ar-aging?asOf=2999-12-31');
    const line = aging.customers.flatMap((c: { invoices: Array<{ invoiceId: string }> }) => c.invoices).find((i: { invoiceId: string }) => i.invoiceId === invoice.id);
    expect(line).toMatchObject({ currency: 'EUR', balance: 6667, baseBalance: 7334 });
    await checkBooks(hub, books);
  });
});
