import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { checkBooks, get, issuedInvoice, post, postingsOf, setupBooks, type Books, type Json } from '../payments/testing.js';
import { createBankAccount, importFile } from './testing.js';

const CSV = { format: 'CSV', csv: { columns: { date: 'Date', amount: 'Amount', description: ['Text'] } } };
const csv = (rows: string[]): string => `Date,Amount,Text\n${rows.join('\n')}\n`;

describe('reconciliation of bank transactions with payments and invoices', () => {
  let hub: TestHub;
  let books: Books;
  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Reconcile Ltd');
  });
  afterAll(() => hub.close());

  const lines = async (bankAccountId: string): Promise<Record<string, Json>> => {
    const data = (await get(hub, books, `/bank-transactions?bankAccountId=${bankAccountId}&limit=100`)).data as Json[];
    return Object.fromEntries(data.map((t) => [t.description, t]));
  };
  const reconciledEvents = async (paymentId: string): Promise<Json[]> => (await get(hub, books, `/events?aggregateId=${paymentId}&limit=100`)).data.filter((e: Json) => e.type === 'payment.reconciled');

  it('matches by amount and reference, completes or records payments posted through the ledger, and leaves the rest with ranked suggestions', async () => {
    const invoiceA = await issuedInvoice(hub, books, [{ unitPrice: 150000 }], { issueDate: '2026-01-01', dueDate: '2026-01-10' });
    const invoiceB = await issuedInvoice(hub, books, [{ unitPrice: 25000 }], { issueDate: '2026-01-01', dueDate: '2026-01-10' });
    const pending = await post(hub, books, '/payments', { customerId: books.customerId, amount: 78025, method: 'BANK_TRANSFER', status: 'PENDING', reference: 'REM-7781', date: '2026-01-09' });
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Operating' });
    const imported = await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv([
      `2026-01-08,1500.00,ACME ${invoiceA.number as string} thanks`, '2026-01-09,780.25,REMITTANCE REM-7781', '2026-01-10,250.00,transfer', '2026-01-10,-45.10,coffee',
    ]) });
    expect(imported.body.imported).toBe(4);

    const dry = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId, dryRun: true }, 200);
    expect(dry).toMatchObject({ considered: 4, matched: 2, dryRun: true });
    expect((await get(hub, books, `/payments/${pending.id as string}`)).status).toBe('PENDING');

    const run = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run).toMatchObject({ considered: 4, matched: 2, suggested: 1, unmatched: 1 });
    const byText = await lines(bankAccountId);
    const toInvoice = byText[`ACME ${invoiceA.number as string} thanks`];
    const toPending = byText['REMITTANCE REM-7781'];
    expect(toInvoice).toMatchObject({ status: 'MATCHED', match: { method: 'AUTO', transferEntryId: null } });
    expect(toInvoice.match.confidence).toBeGreaterThanOrEqual(0.8);
    expect(toPending).toMatchObject({ status: 'MATCHED', match: { paymentId: pending.id, method: 'AUTO' } });

    const created = await get(hub, books, `/payments/${toInvoice.match.paymentId as string}`);
    expect(created).toMatchObject({ status: 'COMPLETED', amount: 150000, method: 'BANK_TRANSFER', date: '2026-01-08', applications: [{ invoiceId: invoiceA.id, amount: 150000 }] });
    expect(await postingsOf(hub, books, created.journalEntryId)).toEqual([['1000', 'DEBIT', 150000, 'USD'], ['1100', 'CREDIT', 150000, 'USD']]);
    expect((await get(hub, books, `/invoices/${invoiceA.id as string}`)).status).toBe('PAID');
    const completed = await get(hub, books, `/payments/${pending.id as string}`);
    expect(completed).toMatchObject({ status: 'COMPLETED', date: '2026-01-09' });
    expect(await postingsOf(hub, books, completed.journalEntryId)).toEqual([['1000', 'DEBIT', 78025, 'USD'], ['2300', 'CREDIT', 78025, 'USD']]);
    const [event] = await reconciledEvents(created.id);
    expect(event.data.object).toMatchObject({ id: created.id, reconciliation: { bankTransactionId: toInvoice.id, method: 'AUTO', confidence: toInvoice.match.confidence, itemKind: 'INVOICE', itemId: invoiceA.id } });

    const suggested = byText['transfer'];
    expect(suggested.status).toBe('UNMATCHED');
    expect(suggested.suggestions[0]).toMatchObject({ kind: 'INVOICE', id: invoiceB.id, amount: 25000 });
    expect(suggested.suggestions[0].score).toBeLessThan(0.8);
    expect(byText['coffee']).toMatchObject({ status: 'UNMATCHED', suggestions: [] });
    await checkBooks(hub, books);

    // By hand: the suggested invoice, then undone, then the payment it recorded.
    const manual = await post(hub, books, `/bank-transactions/${suggested.id as string}/match`, { invoiceId: invoiceB.id }, 200);
    expect(manual).toMatchObject({ status: 'MATCHED', match: { method: 'MANUAL' } });
    const manualPayment = await get(hub, books, `/payments/${manual.match.paymentId as string}`);
    expect(await postingsOf(hub, books, manualPayment.journalEntryId)).toEqual([['1000', 'DEBIT', 25000, 'USD'], ['1100', 'CREDIT', 25000, 'USD']]);
    expect((await reconciledEvents(manualPayment.id))[0].data.object.reconciliation).toMatchObject({ method: 'MANUAL', confidence: manual.match.confidence });
    const again = await hub.request('POST', books.path(`/bank-transactions/${suggested.id as string}/match`), { token: books.org.apiKey, body: { invoiceId: invoiceB.id } });
    expect([again.status, again.body.code]).toEqual([409, 'INVALID_STATE_TRANSITION']);

    const entriesBefore = (await get(hub, books, '/journal-entries?limit=100')).data.length;
    const undone = await post(hub, books, `/bank-transactions/${suggested.id as string}/unmatch`, {}, 200);
    expect(undone).toMatchObject({ status: 'UNMATCHED', match: null });
    expect((await get(hub, books, `/events?aggregateId=${suggested.id as string}`)).data.map((e: Json) => e.type)).toEqual(['bank_transaction.unmatched']);
    const relinked = await post(hub, books, `/bank-transactions/${suggested.id as string}/match`, { paymentId: manualPayment.id }, 200);
    expect(relinked.match.paymentId).toBe(manualPayment.id);
    expect((await get(hub, books, '/journal-entries?limit=100')).data.length).toBe(entriesBefore);
    await checkBooks(hub, books);

    const debit = await hub.request('POST', books.path(`/bank-transactions/${byText['coffee'].id as string}/match`), { token: books.org.apiKey, body: { invoiceId: invoiceB.id } });
    expect(debit.status).toBe(422);
  });

  it('posts a transfer from the chart\'s Bank account when the bank account has its own ledger account, and reverses it on unmatch', async () => {
    const savings = await post(hub, books, '/accounts', { code: '1010', name: 'Savings account', type: 'ASSET' });
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Savings', ledgerAccountId: savings.id });
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 9900 }], { issueDate: '2026-02-01', dueDate: '2026-02-15' });
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv([`2026-02-14,99.00,Invoice ${invoice.number as string}`]) });
    expect(await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200)).toMatchObject({ matched: 1 });
    const [line] = Object.values(await lines(bankAccountId));
    expect(line.match.transferEntryId).toMatch(/^je_/);
    expect(await postingsOf(hub, books, line.match.transferEntryId)).toEqual([['1010', 'DEBIT', 9900, 'USD'], ['1000', 'CREDIT', 9900, 'USD']]);
    await post(hub, books, `/bank-transactions/${line.id as string}/unmatch`, {}, 200);
    const transfer = await get(hub, books, `/journal-entries/${line.match.transferEntryId as string}`);
    expect(transfer.reversedBy).toMatch(/^je_/);
    await checkBooks(hub, books);
  });

  it('completes the pending payment announced for an invoice rather than recording a second one', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 52000 }], { issueDate: '2026-05-01', dueDate: '2026-05-20' });
    const pending = await post(hub, books, '/payments', { customerId: books.customerId, amount: 52000, method: 'BANK_TRANSFER', status: 'PENDING', date: '2026-05-18', applications: [{ invoiceId: invoice.id, amount: 52000 }] });
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Announced' });
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv([`2026-05-19,520.00,Settles ${invoice.number as string}`]) });
    const [line] = Object.values(await lines(bankAccountId));
    const byHand = await hub.request('POST', books.path(`/bank-transactions/${line.id as string}/match`), { token: books.org.apiKey, body: { invoiceId: invoice.id } });
    expect([byHand.status, byHand.body.detail]).toEqual([422, expect.stringMatching(new RegExp(`expected through PENDING payment ${pending.id as string}`))]);
    const run = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run.matches).toEqual([expect.objectContaining({ kind: 'PENDING_PAYMENT', itemId: pending.id, paymentId: pending.id })]);
    expect((await get(hub, books, `/payments?invoiceId=${invoice.id as string}`)).data.map((p: Json) => [p.id, p.status])).toEqual([[pending.id, 'COMPLETED']]);
    expect((await get(hub, books, `/invoices/${invoice.id as string}`)).status).toBe('PAID');
    await checkBooks(hub, books);
  });

  it('matches a line once when two runs race, and pays its invoice once', async () => {
    const invoice = await issuedInvoice(hub, books, [{ unitPrice: 31400 }], { issueDate: '2026-04-01', dueDate: '2026-04-10' });
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Race' });
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv([`2026-04-09,314.00,${invoice.number as string}`]) });
    const runs = await Promise.all([1, 2, 3].map(() => post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200)));
    expect(runs.reduce((n, r) => n + (r.matched as number), 0)).toBe(1);
    const payments = (await get(hub, books, `/payments?invoiceId=${invoice.id as string}`)).data;
    expect(payments).toHaveLength(1);
    expect((await get(hub, books, `/invoices/${invoice.id as string}`))).toMatchObject({ status: 'PAID', balance: 0 });
    await checkBooks(hub, books);
  });

  it('leaves near-duplicates for review: one bank line and two equal pending payments of one day are not matched automatically', async () => {
    const twin = { customerId: books.customerId, amount: 4200, method: 'BANK_TRANSFER', status: 'PENDING', date: '2026-03-03' };
    const first = await post(hub, books, '/payments', { ...twin, reference: 'TWIN-A' });
    const second = await post(hub, books, '/payments', { ...twin, reference: 'TWIN-B' });
    const bankAccountId = await createBankAccount(hub, books.org.id, { name: 'Twins' });
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv(['2026-03-03,42.00,Reconcile Ltd Customer']) });
    expect(await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200)).toMatchObject({ matched: 0, suggested: 1 });
    const [line] = Object.values(await lines(bankAccountId));
    expect(line.suggestions.map((s: Json) => s.id).sort()).toEqual([first.id, second.id].sort());
    expect(line.suggestions[0].score).toBe(line.suggestions[1].score);
    // Its reference settles it.
    await importFile(hub, books.org.id, bankAccountId, { ...CSV, content: csv(['2026-03-03,42.00,Reconcile Ltd Customer TWIN-B']) });
    const run = await post(hub, books, '/bank-reconciliation-runs', { bankAccountId }, 200);
    expect(run.matches).toEqual([expect.objectContaining({ kind: 'PENDING_PAYMENT', itemId: second.id })]);
    await checkBooks(hub, books);
  });
});
