import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { countRows, createBankAccount, fileBase64, importFile, OWN_FIXTURES } from './testing.js';

const own = (name: string): string => fileBase64(join(OWN_FIXTURES, name));
const CSV = { format: 'CSV', csv: { columns: { date: 'Date', amount: 'Amount', description: ['Text'] } } };

describe('bank accounts and statement imports', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const path = (rest: string): string => `/v1/organizations/${org.id}${rest}`;
  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Bank Imports Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('creates, reads, lists and updates a bank account on the chart\'s Bank account, with events', async () => {
    const created = await hub.request('POST', path('/bank-accounts'), { body: { name: 'Operating', accountNumber: 'CH03 0900 0000 2500 9034 2', bankName: 'PostFinance' } });
    expect(created.status).toBe(201);
    const bank = (await hub.request('GET', path('/accounts?limit=100'))).body.data.find((a: { systemKey: string }) => a.systemKey === 'bank');
    expect(created.body).toMatchObject({ object: 'bank_account', currency: 'USD', ledgerAccountId: bank.id, status: 'ACTIVE' });
    const id = created.body.id as string;
    expect((await hub.request('GET', path(`/bank-accounts/${id}`))).body).toEqual(created.body);
    const updated = await hub.request('PATCH', path(`/bank-accounts/${id}`), { body: { name: 'Main account' } });
    expect(updated.body.name).toBe('Main account');
    const same = await hub.request('POST', path('/bank-accounts'), { body: { name: 'Dup', accountNumber: 'ch0309000000250090342' } });
    expect([same.status, same.body.code]).toEqual([409, 'CONFLICT']);
    const revenue = (await hub.request('GET', path('/accounts?limit=100'))).body.data.find((a: { systemKey: string }) => a.systemKey === 'sales_revenue');
    const wrong = await hub.request('POST', path('/bank-accounts'), { body: { name: 'Bad', ledgerAccountId: revenue.id } });
    expect(wrong.status).toBe(422);
    const events = await hub.request('GET', path(`/events?aggregateId=${id}`));
    expect(events.body.data.map((e: { type: string }) => e.type)).toEqual(['bank_account.created', 'bank_account.updated']);
    const list = await hub.request('GET', path('/bank-accounts'));
    expect(list.body.data.map((a: { id: string }) => a.id)).toContain(id);
  });

  it('imports overlapping OFX statements once each, records an event per new transaction, and dry runs write nothing', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'Overlap', accountNumber: '000111222' });
    const dry = await importFile(hub, org.id, id, { contentBase64: own('own_jan.ofx'), dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, imported: 5, duplicates: 0 });
    expect(await countRows(hub, 'bank_statement_imports')).toBe(0);

    const jan = await importFile(hub, org.id, id, { contentBase64: own('own_jan.ofx'), fileName: 'jan.ofx' });
    expect(jan.body).toMatchObject({ imported: 5, duplicates: 0, transactions: 5 });
    const overlap = await importFile(hub, org.id, id, { contentBase64: own('own_jan_feb_overlap.ofx') });
    expect(overlap.body).toMatchObject({ transactions: 6, imported: 3, duplicates: 3 });
    const all = (await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}&limit=100`))).body.data as Array<{ sourceId: string; id: string; importId: string }>;
    expect(all.map((t) => t.sourceId).sort()).toEqual(['T0001', 'T0002', 'T0003', 'T0004', 'T0005', 'T0006', 'T0007', 'T0008']);
    expect(all.filter((t) => t.importId === overlap.body.id).map((t) => t.sourceId).sort()).toEqual(['T0006', 'T0007', 'T0008']);

    const imported = await hub.request('GET', path('/events?types=bank_statement.imported&limit=100'));
    const mine = imported.body.data.filter((e: { data: { object: { bankAccountId: string } } }) => e.data.object.bankAccountId === id);
    expect(mine.map((e: { aggregateId: string; data: { object: { imported: number } } }) => [e.aggregateId, e.data.object.imported])).toEqual([[jan.body.id, 5], [overlap.body.id, 3]]);
    expect(mine[0].data.object).toEqual(jan.body);
    expect((await hub.request('GET', path(`/bank-accounts/${id}/imports/${jan.body.id}`))).body).toEqual(jan.body);
    const filtered = await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}&direction=CREDIT&from=2026-01-01&to=2026-01-31`));
    expect(filtered.body.data.map((t: { sourceId: string }) => t.sourceId).sort()).toEqual(['T0001', 'T0004']);
  });

  it('imports a file once when two requests bring it at the same moment', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'Race' });
    const body = { contentBase64: own('own_jan_feb_overlap.ofx') };
    const both = await Promise.all([importFile(hub, org.id, id, body), importFile(hub, org.id, id, body), importFile(hub, org.id, id, body)]);
    expect(both.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(both.map((r) => r.body.imported as number).sort()).toEqual([0, 0, 6]);
    expect((await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}&limit=100`))).body.data).toHaveLength(6);
  });

  it('gives CSV lines without ids stable hash ids: identical lines both stay, an overlapping file adds only what is new', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'CSV' });
    const a = await importFile(hub, org.id, id, { ...CSV, contentBase64: own('own_march_a.csv') });
    expect(a.body).toMatchObject({ imported: 4, duplicates: 0 });
    const b = await importFile(hub, org.id, id, { ...CSV, contentBase64: own('own_march_b.csv') });
    expect(b.body).toMatchObject({ transactions: 4, imported: 1, duplicates: 3 });
    const lines = (await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}`))).body.data as Array<{ description: string; amount: number }>;
    expect(lines.map((l) => `${l.description} ${l.amount}`).sort()).toEqual(['Bakery -1250', 'Bakery -1250', 'Client payment 30000', 'Fuel -8000', 'Parking -2000']);
  });

  it.each([
    ['hostile_billion_laughs.xml', /DOCTYPE or entity declarations/],
    ['hostile_external_entity.xml', /DOCTYPE or entity declarations/],
    ['hostile_ofx_entity.ofx', /DOCTYPE or entity declarations/],
    ['malformed_unclosed.xml', /not well-formed/],
    ['garbage.bin', /not text/],
  ])('refuses %s with 422 naming the problem and writes nothing', async (file, reason) => {
    const id = await createBankAccount(hub, org.id, { name: file, currency: 'EUR' });
    const before = [await countRows(hub, 'bank_transactions'), await countRows(hub, 'bank_statement_imports'), await countRows(hub, 'events')];
    const res = await importFile(hub, org.id, id, { contentBase64: own(file) });
    expect([res.status, res.body.code]).toEqual([422, 'STATEMENT_UNREADABLE']);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toMatch(reason);
    expect(res.body.detail).not.toMatch(/root:/);
    expect([await countRows(hub, 'bank_transactions'), await countRows(hub, 'bank_statement_imports'), await countRows(hub, 'events')]).toEqual(before);
  });

  it('reads predefined XML entities and character references, and nothing else', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'small camt', currency: 'EUR' });
    const res = await importFile(hub, org.id, id, { contentBase64: own('valid_camt_small.xml') });
    expect(res.body.imported).toBe(1);
    const [line] = (await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}`))).body.data;
    expect(line.description).toBe('Fish & Chips €');
  });

  it('reads camt.053 versions .02 to .08 only and leaves entries not yet booked out, with a warning', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'camt versions', currency: 'EUR' });
    const small = readFileSync(join(OWN_FIXTURES, 'valid_camt_small.xml'), 'utf8');
    const v09 = await importFile(hub, org.id, id, { content: small.replace('camt.053.001.02', 'camt.053.001.09') });
    expect([v09.status, v09.body.detail]).toEqual([422, expect.stringMatching(/camt\.053\.001\.09 is not supported/)]);
    const c054 = await importFile(hub, org.id, id, { content: small.replace('camt.053.001.02', 'camt.054.001.02') });
    expect(c054.status).toBe(422);
    const pending = await importFile(hub, org.id, id, { content: small.replace('<Sts>BOOK</Sts>', '<Sts>PDNG</Sts>') });
    expect(pending.body).toMatchObject({ imported: 0, transactions: 0, warnings: [expect.stringMatching(/status PDNG, not BOOK/)] });
  });

  it('decodes UTF-16 files with a byte order mark and honours an encoding the caller names', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'encodings', currency: 'EUR' });
    const text = 'Date,Amount,Text\n2026-05-01,-3.20,Café crème\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect((await importFile(hub, org.id, id, { ...CSV, contentBase64: utf16.toString('base64') })).body).toMatchObject({ imported: 1, encoding: 'utf-16le' });
    const latin9 = Buffer.from(text.replace('Café crème', 'Caf\u00e9 \u20ac').replace('2026-05-01', '2026-05-02'), 'latin1');
    latin9[latin9.indexOf(0xac)] = 0xa4;
    const res = await importFile(hub, org.id, id, { ...CSV, encoding: 'iso-8859-15', contentBase64: latin9.toString('base64') });
    expect(res.body).toMatchObject({ imported: 1, encoding: 'iso-8859-15' });
    const descriptions = (await hub.request('GET', path(`/bank-transactions?bankAccountId=${id}`))).body.data.map((t: { description: string }) => t.description).sort();
    expect(descriptions).toEqual(['Café crème', 'Café €']);
  });

  it('refuses a huge body with 413, a file of too many transactions, unknown formats and bad CSV cells with 422', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'limits' });
    const huge = await hub.request('POST', path(`/bank-accounts/${id}/imports`), { raw: JSON.stringify({ content: 'x'.repeat(1_200_000) }), headers: { 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
    const many = `Date,Amount\n${'2026-01-01,-1.00\n'.repeat(20_001)}`;
    const tooMany = await importFile(hub, org.id, id, { format: 'CSV', content: many, csv: { columns: { date: 'Date', amount: 'Amount' } } });
    expect([tooMany.status, tooMany.body.detail]).toEqual([422, expect.stringMatching(/20001 transactions; at most 20000/)]);
    const unknown = await importFile(hub, org.id, id, { content: 'hello world' });
    expect([unknown.status, unknown.body.detail]).toEqual([422, expect.stringMatching(/neither OFX/)]);
    const badDate = await importFile(hub, org.id, id, { ...CSV, content: 'Date,Amount,Text\n2026-02-30,1.00,x\n' });
    expect([badDate.status, badDate.body.detail]).toEqual([422, expect.stringMatching(/line 2.*not a valid date/)]);
    const badAmount = await importFile(hub, org.id, id, { ...CSV, content: 'Date,Amount,Text\n2026-02-01,1.005,x\n' });
    expect([badAmount.status, badAmount.body.detail]).toEqual([422, expect.stringMatching(/more decimals than USD/)]);
    const both = await importFile(hub, org.id, id, { ...CSV, content: 'a', contentBase64: 'YQ==' });
    expect(both.status).toBe(422);
    const noMapping = await importFile(hub, org.id, id, { format: 'CSV', content: 'Date,Amount\n2026-01-01,1\n' });
    expect(noMapping.status).toBe(422);
    expect(await countRows(hub, 'bank_transactions')).toBe(Number((await hub.db.knex('bank_transactions').whereNot('bank_account_id', id).count({ n: '*' }).first())?.n));
  });

  it('posts nothing: the trial balance is still balanced after every import above', async () => {
    const trial = await hub.request('GET', path('/reports/trial-balance?asOf=2999-12-31'));
    expect(trial.body).toMatchObject({ balanced: true });
    expect(trial.body.totals.debit).toBe(trial.body.totals.credit);
    expect(await countRows(hub, 'journal_entries')).toBe(0);
  });

  it('keeps tenants apart: another organization sees neither the account nor its transactions', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'Private' });
    await importFile(hub, org.id, id, { ...CSV, contentBase64: own('own_march_a.csv') });
    const other = await hub.createOrganization('Other Ltd', 'USD');
    const asOther = (p: string) => hub.request('GET', `/v1/organizations/${other.id}${p}`, { token: other.apiKey });
    expect((await asOther(`/bank-accounts/${id}`)).status).toBe(404);
    expect((await asOther(`/bank-transactions?bankAccountId=${id}`)).body.data).toEqual([]);
    const importAsOther = await hub.request('POST', `/v1/organizations/${other.id}/bank-accounts/${id}/imports`, { token: other.apiKey, body: { ...CSV, content: readFileSync(join(OWN_FIXTURES, 'own_march_a.csv'), 'utf8') } });
    expect(importAsOther.status).toBe(404);
    const crossKey = await hub.request('GET', path(`/bank-accounts/${id}`), { token: other.apiKey });
    expect(crossKey.status).toBe(404);
  });
});
