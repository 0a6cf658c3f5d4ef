import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, UahApiError, type UahClient } from '../client/src/index.js';
import { createTestHub, type TestHub } from '../core/src/testing/harness.js';
import { OWN_FIXTURES } from '../core/src/banking/testing.js';

/** The banking resources of the typed client against the real core, over HTTP. */
describe('@uah/client banking resources', () => {
  let hub: TestHub;
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    const org = await hub.createOrganization('Client Bank Ltd', 'USD');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('imports a statement, reconciles the invoice it pays, and keeps the books balanced', async () => {
    const customer = await uah.customers.create({ businessName: 'ACME CORP' });
    const draft = await uah.invoices.create({ customerId: customer.id, issueDate: '2026-01-01', dueDate: '2026-01-05', lines: [{ description: 'Work', quantity: '1', unitPrice: 150000 }] });
    const invoice = await uah.invoices.issue(draft.id, {});
    expect(invoice.number).toBe('INV-00001');
    const account = await uah.bankAccounts.create({ name: 'Operating', accountNumber: '000111222' });
    const result = await uah.bankAccounts.import(account.id, { contentBase64: readFileSync(join(OWN_FIXTURES, 'own_jan.ofx')).toString('base64') });
    expect(result).toMatchObject({ format: 'OFX', imported: 5 });

    const run = await uah.bankTransactions.reconcile({ bankAccountId: account.id });
    expect(run.matches).toEqual([expect.objectContaining({ kind: 'INVOICE', itemId: invoice.id })]);
    expect((await uah.invoices.get(invoice.id)).status).toBe('PAID');
    const matched = [];
    for await (const t of uah.bankTransactions.iterate({ status: 'MATCHED' })) matched.push(t);
    expect(matched.map((t) => t.sourceId)).toEqual(['T0001']);

    const error = await uah.bankAccounts.import(account.id, { contentBase64: Buffer.from([0, 1, 2, 255, 254, 0]).toString('base64') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UahApiError);
    expect((error as UahApiError).status).toBe(422);
    const trial = await uah.reports.trialBalance({ asOf: '2999-12-31' });
    expect(trial.balanced).toBe(true);
  });

  it('suggests the open bill a debit pays and confirms it: the bill is paid through the purchasing API, from the bank', async () => {
    const vendor = await uah.vendors.create({ name: 'Landlord LLC' });
    const bill = await uah.bills.create({ vendorId: vendor.id, vendorReference: 'RENT JAN', billDate: '2026-01-01', dueDate: '2026-01-19', lines: [{ description: 'Rent', quantity: '1', unitCost: 150000 }] });
    const account = await uah.bankAccounts.create({ name: 'Rent account' });
    await uah.bankAccounts.import(account.id, { contentBase64: readFileSync(join(OWN_FIXTURES, 'own_jan.ofx')).toString('base64') });
    const debits = [];
    for await (const t of uah.bankTransactions.iterate({ bankAccountId: account.id, direction: 'DEBIT' })) debits.push(t);
    const line = debits.find((t) => t.counterparty === 'LANDLORD LLC');
    if (!line) throw new Error('no rent line');
    expect(line).toMatchObject({ amount: -120000, status: 'UNMATCHED' });

    // 1,200.00 of a bill of 1,500.00 quoting its number ("RENT JAN"), from the vendor's name: a suggestion.
    await uah.bankTransactions.reconcile({ bankAccountId: account.id });
    const suggested = await uah.bankTransactions.get(line.id);
    expect(suggested.suggestions[0]).toMatchObject({ kind: 'BILL', id: bill.id, amount: 150000 });
    const matched = await uah.bankTransactions.match(line.id, { billId: bill.id });
    expect(matched.match).toMatchObject({ paymentId: null, billPaymentId: expect.stringMatching(/^bpay_/), method: 'MANUAL' });
    expect(await uah.bills.get(bill.id)).toMatchObject({ status: 'PARTIALLY_PAID', amountPaid: 120000, balance: 30000 });
    const error = await uah.bankTransactions.match(line.id, { billId: bill.id }).catch((e: unknown) => e);
    expect((error as UahApiError).status).toBe(409);
    expect((await uah.reports.trialBalance({ asOf: '2999-12-31' })).balanced).toBe(true);
  });
});
