import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, JournalEntryCreate, SystemAccountKey } from '@uah/schemas';
import { createClient, UahApiError, type UahClient } from '../client/src/index.js';
import { createTestHub, type TestHub } from '../core/src/testing/harness.js';

const today = (): string => new Date().toISOString().slice(0, 10);

async function accountsByKey(uah: UahClient): Promise<Map<SystemAccountKey, Account>> {
  const byKey = new Map<SystemAccountKey, Account>();
  for await (const account of uah.accounts.iterate({ limit: 100 })) if (account.systemKey) byKey.set(account.systemKey, account);
  return byKey;
}

async function count(hub: TestHub, table: string, organizationId: string): Promise<number> {
  const rows = await hub.db.knex(table).where({ organization_id: organizationId }).count<Array<{ count: string | number }>>({ count: '*' });
  return Number(rows[0]?.count);
}

/** The accounting resources of the typed client against the real core, over HTTP. */
describe('@uah/client accounting resources', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Client Books Ltd', 'GBP');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('walks a sales cycle: quote → invoice → PDF → partial payment → refund → balanced books', async () => {
    const vat = await uah.taxRates.create({ name: 'VAT 20%', basisPoints: 2000 });
    const product = await uah.products.create({ sku: 'WIDGET', name: 'Widget', type: 'SERVICE', unitPrice: 10000, taxRateId: vat.id });
    expect((await uah.products.list({ sku: 'WIDGET' })).data.map((p) => p.id)).toEqual([product.id]);
    const customer = await uah.customers.create({ businessName: 'Buyer plc', email: 'ap@buyer.test' });

    const quote = await uah.quotes.create({ customerId: customer.id, lines: [{ productId: product.id, quantity: '3' }] });
    expect(quote).toMatchObject({ status: 'DRAFT', subtotal: 30000, taxTotal: 6000, total: 36000 });
    expect(Buffer.from(await uah.quotes.pdf(quote.id)).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await uah.quotes.send(quote.id, { message: 'As discussed.' })).status).toBe('SENT');
    expect((await uah.quotes.view(quote.id)).status).toBe('VIEWED');
    expect((await uah.quotes.accept(quote.id)).status).toBe('ACCEPTED');
    const draft = await uah.quotes.convert(quote.id);
    expect(draft).toMatchObject({ status: 'DRAFT', number: null, quoteId: quote.id, total: 36000 });

    const issued = await uah.invoices.issue(draft.id, {});
    expect(issued).toMatchObject({ id: draft.id, status: 'SENT', number: expect.stringMatching(/^INV-0*1$/), balance: 36000 });
    const pdf = await uah.invoices.pdf(issued.id);
    expect(pdf).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');

    const payment = await uah.payments.create({ customerId: customer.id, amount: 20000, method: 'BANK_TRANSFER', applications: [{ invoiceId: issued.id, amount: 20000 }] });
    expect(payment).toMatchObject({ object: 'payment', status: 'COMPLETED', appliedAmount: 20000, unappliedAmount: 0 });
    expect(await uah.invoices.get(issued.id)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 20000, balance: 16000 });
    const refunded = await uah.payments.refund(payment.id, { amount: 5000, reason: 'goodwill' });
    expect(refunded).toMatchObject({ amountRefunded: 5000, appliedAmount: 15000 });
    expect(await uah.invoices.get(issued.id)).toMatchObject({ status: 'PARTIALLY_PAID', balance: 21000 });

    const accounts = await accountsByKey(uah);
    const code = (key: SystemAccountKey): string => accounts.get(key)?.code ?? '?';
    const trial = await uah.reports.trialBalance();
    const net = Object.fromEntries(trial.accounts.map((a) => [a.code, a.debit - a.credit]));
    expect(trial.balanced).toBe(true);
    expect(trial.totals).toEqual({ debit: 36000, credit: 36000 });
    expect(net).toEqual({ [code('bank')]: 15000, [code('receivables')]: 21000, [code('sales_tax_payable')]: -6000, [code('service_revenue')]: -30000 });
    const aging = await uah.reports.arAging();
    expect(aging.totals.total).toBe(net[code('receivables')]);
    expect(aging.customers.map((c) => [c.customerId, c.buckets.total])).toEqual([[customer.id, 21000]]);
    expect((await uah.reports.balanceSheet()).object).toBe('balance_sheet');
    expect((await uah.reports.profitAndLoss()).netIncome).toBe(30000);

    const journal = await uah.journalEntries.exportLedger();
    expect(typeof journal).toBe('string');
    expect(journal).toContain(issued.number ?? 'no number');
    const receivables = await uah.accounts.ledger(accounts.get('receivables')?.id ?? '');
    expect(receivables.data.map((p) => [p.direction, p.amount, p.runningBalance])).toEqual([['DEBIT', 36000, 36000], ['CREDIT', 20000, 16000], ['DEBIT', 5000, 21000]]);
  });

  it('dry runs answer the preview and write nothing', async () => {
    const customer = await uah.customers.create({ businessName: 'Dry Run Ltd' });
    const before = { invoices: await count(hub, 'invoices', org.id), payments: await count(hub, 'payments', org.id), events: await count(hub, 'events', org.id) };

    const invoicePreview = await uah.invoices.create({ customerId: customer.id, lines: [{ description: 'Advice', quantity: '2', unitPrice: 5000 }] }, { dryRun: true });
    expect(invoicePreview).toMatchObject({ object: 'invoice_dry_run', dryRun: true, invoice: { status: 'DRAFT', total: 10000 } });
    expect(invoicePreview.events.map((e) => e.type)).toEqual(['invoice.created']);

    const draft = await uah.invoices.create({ customerId: customer.id, lines: [{ description: 'Advice', quantity: '2', unitPrice: 5000 }] });
    const afterDraft = await count(hub, 'events', org.id);
    const issuePreview = await uah.invoices.issue(draft.id, {}, { dryRun: true });
    expect(issuePreview.journalEntry?.lines.map((l) => [l.direction, l.amount])).toEqual([['DEBIT', 10000], ['CREDIT', 10000]]);
    expect(await uah.invoices.get(draft.id)).toMatchObject({ status: 'DRAFT', number: null, journalEntryId: null });

    const paymentPreview = await uah.payments.create({ customerId: customer.id, amount: 1234, method: 'CASH' }, { dryRun: true });
    expect(paymentPreview).toMatchObject({ object: 'payment_dry_run', payment: { amount: 1234, unappliedAmount: 1234 } });
    expect(paymentPreview.journalEntries).toHaveLength(1);

    expect(await count(hub, 'invoices', org.id)).toBe(before.invoices + 1);
    expect(await count(hub, 'payments', org.id)).toBe(before.payments);
    expect(await count(hub, 'events', org.id)).toBe(afterDraft);
    expect(afterDraft).toBe(before.events + 1);
  });

  it('surfaces a 4xx as UahApiError with the failing fields and the stable code', async () => {
    const invalid = (await uah.taxRates.create({ name: 'Negative', basisPoints: -5 }).catch((e: unknown) => e)) as UahApiError;
    expect(invalid).toBeInstanceOf(UahApiError);
    expect([invalid.status, invalid.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(invalid.errors).toEqual([expect.objectContaining({ field: '/basisPoints', in: 'body' })]);

    const lines = [{ accountCode: '1000', direction: 'DEBIT' as const, amount: 1000 }, { accountCode: '3000', direction: 'CREDIT' as const, amount: 900 }];
    const unbalanced = (await uah.journalEntries.create({ date: today(), currency: 'GBP', lines }).catch((e: unknown) => e)) as UahApiError;
    expect([unbalanced.status, unbalanced.code]).toEqual([422, 'UNBALANCED_ENTRY']);
  });
});

describe('@uah/client ledger resources', () => {
  let hub: TestHub;
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    const org = await hub.createOrganization('Ledger Client Ltd', 'USD');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('posts, previews, reverses and exports journal entries; reads account ledgers and settings', async () => {
    const accounts = await accountsByKey(uah);
    const bank = accounts.get('bank');
    const equity = accounts.get('owners_equity');
    if (!bank || !equity) throw new Error('the default chart has no bank or owners_equity account');
    const body: JournalEntryCreate = { date: today(), currency: 'USD', memo: 'Capital injection', lines: [{ accountId: bank.id, direction: 'DEBIT', amount: 500000 }, { accountId: equity.id, direction: 'CREDIT', amount: 500000 }] };

    const preview = await uah.journalEntries.create(body, { dryRun: true });
    expect(preview).toMatchObject({ object: 'journal_entry_preview', id: null, baseTotal: 500000 });
    expect((await uah.journalEntries.list()).data).toEqual([]);
    expect((await uah.accounts.get(bank.id)).balance).toBe(0);

    const entry = await uah.journalEntries.create(body);
    expect(entry).toMatchObject({ object: 'journal_entry', memo: 'Capital injection', baseTotal: 500000 });
    expect(await uah.journalEntries.get(entry.id)).toEqual(entry);
    const reversal = await uah.journalEntries.reverse(entry.id, { memo: 'Booked twice' });
    expect(reversal).toMatchObject({ reversalOf: entry.id, memo: 'Booked twice' });
    expect((await uah.journalEntries.list({ limit: 10 })).data.map((e) => e.id)).toEqual([entry.id, reversal.id]);

    const postings: Array<[string, number]> = [];
    for await (const posting of uah.accounts.iterateLedger(bank.id, { limit: 1 })) postings.push([posting.direction, posting.runningBalance]);
    expect(postings).toEqual([['DEBIT', 500000], ['CREDIT', 0]]);
    expect((await uah.accounts.get(bank.id)).balance).toBe(0);

    const journal = await uah.journalEntries.exportLedger({ from: today() });
    expect(journal).toContain('Capital injection');
    expect(journal).toContain('Booked twice');

    const renamed = await uah.accounts.update(bank.id, { name: 'Main bank' });
    expect(renamed).toMatchObject({ id: bank.id, name: 'Main bank' });
    const added = await uah.accounts.create({ code: '1010', name: 'Savings', type: 'ASSET' });
    expect((await uah.accounts.list({ limit: 100 })).data.map((a) => a.code)).toContain(added.code);

    expect(await uah.ledgerSettings.get()).toMatchObject({ object: 'ledger_settings', baseCurrency: 'USD', lockDate: null });
    expect((await uah.ledgerSettings.update({ lockDate: '2000-12-31' })).lockDate).toBe('2000-12-31');
    expect((await uah.invoiceSettings.get()).object).toBe('invoice_settings');
  });
});
