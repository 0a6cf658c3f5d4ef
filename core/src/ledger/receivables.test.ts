import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMetadata } from '@uah/schemas';
import { createTestHub, type TestHub } from '../testing/harness.js';
import type { PostEntryInput } from './service.js';

/**
 * The subledger reference on journal lines: written by the posting statement, copied by reversals,
 * returned by the API, checked by the database, exported as hledger tags, and summed per invoice as of a
 * date by `receivablesByInvoice`.
 */
describe('ledger: invoice and customer references on lines, receivables by invoice', () => {
  let hub: TestHub;
  let orgId: string;
  const meta: EventMetadata = { source: 'SYSTEM' };
  const sale = (date: string, invoiceId: string, amount: number): PostEntryInput => ({
    date, currency: 'USD', source: { type: 'invoice', id: invoiceId },
    lines: [{ account: { key: 'receivables' }, direction: 'DEBIT', amount, reference: { invoiceId, customerId: 'cus_A' } }, { account: { key: 'sales_revenue' }, direction: 'CREDIT', amount }],
  });
  const post = (input: PostEntryInput) => hub.db.knex.transaction((trx) => hub.core.services.ledger.post(trx, orgId, input, meta));

  beforeAll(async () => {
    hub = await createTestHub();
    orgId = (await hub.createOrganization('Subledger Ltd', 'USD')).id;
  });
  afterAll(() => hub.close());

  it('stores the reference, returns it on the lines and copies it on reversal', async () => {
    const entry = await post(sale('2026-01-10', 'inv_1', 1_000));
    expect(entry.lines.map((l) => [l.accountCode, l.invoiceId, l.customerId])).toEqual([['1100', 'inv_1', 'cus_A'], ['4000', null, null]]);
    const read = await hub.request('GET', `/v1/organizations/${orgId}/journal-entries/${entry.id}`);
    expect(read.body.lines.map((l: { invoiceId: string | null; customerId: string | null }) => [l.invoiceId, l.customerId])).toEqual([['inv_1', 'cus_A'], [null, null]]);
    const reversal = await hub.db.knex.transaction((trx) => hub.core.services.ledger.reverse(trx, orgId, entry.id, { date: '2026-01-20' }, meta));
    expect(reversal.lines.map((l) => [l.accountCode, l.direction, l.invoiceId, l.customerId])).toEqual([['1100', 'CREDIT', 'inv_1', 'cus_A'], ['4000', 'DEBIT', null, null]]);
    const stored = await hub.db.knex('journal_lines').where({ entry_id: reversal.id }).orderBy('line_no').select('invoice_id', 'customer_id');
    expect(stored).toEqual([{ invoiceId: 'inv_1', customerId: 'cus_A' }, { invoiceId: null, customerId: null }]);
  });

  it('refuses a reference that is not an invoice or customer id, in the service and in the database', async () => {
    const bad = sale('2026-01-11', 'inv_2', 500);
    bad.lines[0] = { ...bad.lines[0]!, reference: { invoiceId: 'pay_1', customerId: 'x' } };
    await expect(post(bad)).rejects.toMatchObject({ status: 422, errors: [{ field: '/lines/0/reference/invoiceId' }, { field: '/lines/0/reference/customerId' }] });
    const line = await hub.db.knex('journal_lines').where({ organization_id: orgId }).first();
    const insert = hub.db.knex.raw(`INSERT INTO journal_lines (id, organization_id, entry_id, line_no, entry_number, date, account_id, direction, amount, currency, base_amount, invoice_id)
      SELECT 'jl_x', organization_id, entry_id, 9, entry_number, date, account_id, direction, amount, currency, base_amount, 'bill_1' FROM journal_lines WHERE id = ?`, [line.id]);
    await expect(insert).rejects.toMatchObject({ constraint: 'journal_lines_invoice_id_check' });
  });

  it('sums the receivables per invoice as of a date, and keeps lines without an invoice apart, per entry', async () => {
    await post(sale('2026-02-01', 'inv_3', 3_000));
    await post({ date: '2026-02-10', currency: 'USD', memo: 'Part paid', lines: [{ account: { key: 'bank' }, direction: 'DEBIT', amount: 1_200 }, { account: { key: 'receivables' }, direction: 'CREDIT', amount: 1_200, reference: { invoiceId: 'inv_3', customerId: 'cus_A' } }] });
    await post({ date: '2026-02-15', currency: 'USD', memo: 'Manual', lines: [{ account: { key: 'receivables' }, direction: 'DEBIT', amount: 70 }, { account: { key: 'general_expenses' }, direction: 'CREDIT', amount: 70 }] });
    const ledger = hub.core.services.ledger;
    const early = await ledger.receivablesByInvoice(orgId, '2026-02-09');
    // inv_1 was reversed on 01-20: nothing left, so it is not listed.
    expect([early.balance, early.invoices, early.unallocated]).toEqual([3_000, [{ invoiceId: 'inv_3', customerId: 'cus_A', baseBalance: 3_000, currencyBalances: { USD: 3_000 } }], []]);
    const late = await ledger.receivablesByInvoice(orgId, '2026-03-01');
    expect(late.invoices.map((i) => [i.invoiceId, i.baseBalance])).toEqual([['inv_3', 1_800]]);
    expect(late.unallocated).toEqual([{ entryId: expect.stringMatching(/^je_/), entryNumber: 5, date: '2026-02-15', memo: 'Manual', baseBalance: 70 }]);
    const receivables = (await ledger.accountBalances(orgId, { to: '2026-03-01' })).find((b) => b.account.systemKey === 'receivables');
    expect(late.balance).toBe(receivables?.balance);
    expect(late.balance).toBe(1_870);
  });

  it('exports the references as hledger posting tags that hledger can query', async () => {
    const res = await hub.request('GET', `/v1/organizations/${orgId}/journal-entries/export`);
    const text = res.body as string;
    expect(text).toContain('    assets:1100 Accounts receivable  10.00 USD  ; invoice:inv_1, customer:cus_A');
    const file = join(mkdtempSync(join(tmpdir(), 'uah-tags-')), 'journal.ledger');
    writeFileSync(file, text);
    const out = execFileSync('hledger', ['-f', file, 'bal', '-O', 'csv', 'tag:invoice=inv_3'], { encoding: 'utf8' });
    expect(out).toContain('"assets:1100 Accounts receivable","18.00 USD"');
  });
});
