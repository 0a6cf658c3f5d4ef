import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { createBankAccount, fileBase64, importFile, SHARED_FIXTURES } from './testing.js';

/**
 * Every third-party statement sample of ../shared/fixtures/bank-statements imports with the facts its
 * README lists (written out here by hand from the README, never computed by the code under test).
 */
type Totals = Array<{ currency: string; credits: number; creditAmount: number; debits: number; debitAmount: number }>;
interface Expected {
  file: string;
  account: { currency: string; accountNumber?: string };
  body?: Record<string, unknown>;
  format: string;
  statements: number;
  imported: number;
  balancesSeen: number;
  /** The statement imported into the bank account. */
  selected: { accountNumber: string | null; transactions: number; totals: Totals; balances?: Array<{ type: string; amount: number; date?: string | null }> };
  warnings?: RegExp[];
}

const t = (currency: string, credits: number, creditAmount: number, debits: number, debitAmount: number): Totals[number] => ({ currency, credits, creditAmount, debits, debitAmount });

const CASES: Expected[] = [
  { file: 'ofx/ofxparse_bank_medium.ofx', account: { currency: 'CAD' }, format: 'QFX', statements: 1, imported: 3, balancesSeen: 2,
    selected: { accountNumber: '12300 000012345678', transactions: 3, totals: [t('CAD', 0, 0, 3, -34527)], balances: [{ type: 'LEDGER', amount: 38234, date: '2009-05-23' }, { type: 'AVAILABLE', amount: 68234, date: '2009-05-23' }] } },
  { file: 'ofx/ofxparse_anzcc.ofx', account: { currency: 'AUD' }, format: 'OFX', statements: 1, imported: 1, balancesSeen: 2,
    selected: { accountNumber: '1234123412341234', transactions: 1, totals: [t('AUD', 0, 0, 1, -550)], balances: [{ type: 'LEDGER', amount: -12345, date: '2017-05-10' }, { type: 'AVAILABLE', amount: 12345, date: '2017-05-10' }] } },
  { file: 'ofx/ofxparse_ofx-v102-empty-tags.ofx', account: { currency: 'AUD' }, format: 'OFX', statements: 1, imported: 1, balancesSeen: 0,
    selected: { accountNumber: '12345678', transactions: 1, totals: [t('AUD', 1, 1234, 0, 0)], balances: [] }, warnings: [/no CURDEF/, /LEDGER balance has no amount/] },
  { file: 'ofx/ofxparser_bb-two-stmtrs.ofx', account: { currency: 'BRL', accountNumber: '655000-2' }, format: 'OFX', statements: 2, imported: 36, balancesSeen: 2,
    selected: { accountNumber: '655000-2', transactions: 36, totals: [t('BRL', 32, 7478387, 4, -7843253)], balances: [{ type: 'LEDGER', amount: 455528, date: '2017-03-29' }] } },
  { file: 'ofx/ofxparser_multiple-accounts-xml.ofx', account: { currency: 'GBP', accountNumber: '546582659855' }, format: 'OFX', statements: 3, imported: 2, balancesSeen: 3,
    selected: { accountNumber: '546582659855', transactions: 2, totals: [t('GBP', 1, 50000, 1, -398)], balances: [{ type: 'LEDGER', amount: 300025, date: '2014-05-11' }] } },
  { file: 'ofx/qfxparser_testSpecialChars.qfx', account: { currency: 'CAD' }, format: 'QFX', statements: 1, imported: 2, balancesSeen: 2,
    selected: { accountNumber: '4111222333', transactions: 2, totals: [t('CAD', 0, 0, 2, -123136)], balances: [{ type: 'LEDGER', amount: 172504 }, { type: 'AVAILABLE', amount: 200004 }] } },
  { file: 'ofx/ofx4j_pag-seguro.ofx', account: { currency: 'BRL' }, format: 'OFX', statements: 1, imported: 3, balancesSeen: 1,
    selected: { accountNumber: '12345678-1', transactions: 3, totals: [t('BRL', 2, 202000, 1, -190100)], balances: [{ type: 'LEDGER', amount: 532643, date: '2025-06-30' }] }, warnings: [/R\$\s5\.326,43/, /30\/06\/2025/] },
  { file: 'camt053/postfinance_camt053_v04.xml', account: { currency: 'CHF' }, format: 'CAMT053', statements: 1, imported: 13, balancesSeen: 2,
    selected: { accountNumber: 'CH0309000000250090342', transactions: 13, totals: [t('CHF', 5, 181056, 8, -127295)], balances: [{ type: 'OPBD', amount: 32215216, date: '2016-04-29' }, { type: 'CLBD', amount: 32268977, date: '2016-04-30' }] }, warnings: [] },
  { file: 'camt053/ubs_camt053_v08.xml', account: { currency: 'CHF' }, format: 'CAMT053', statements: 1, imported: 3, balancesSeen: 3,
    selected: { accountNumber: 'CH1111111111111111111', transactions: 3, totals: [t('CHF', 2, 56325, 0, 0), t('EUR', 0, 0, 1, -2097)], balances: [{ type: 'OPBD', amount: 8272195 }, { type: 'CLBD', amount: 8451525 }, { type: 'CLAV', amount: 8341525 }] }, warnings: [/= 8328520, but the closing balance CLBD is 8451525.*1 entry is in another currency/] },
  { file: 'camt053/abn_amro_camt053_v02.xml', account: { currency: 'EUR' }, format: 'CAMT053', statements: 1, imported: 13, balancesSeen: 8,
    selected: { accountNumber: 'NL77ABNA0574908765', transactions: 13, totals: [t('EUR', 7, 2800, 6, -92800)] }, warnings: [] },
  { file: 'camt053/goldman_sachs_uk_camt053_v02.xml', account: { currency: 'GBP', accountNumber: 'GB36GSLD04296250000970' }, format: 'CAMT053', statements: 2, imported: 6, balancesSeen: 8,
    selected: { accountNumber: 'GB36GSLD04296250000970', transactions: 6, totals: [t('GBP', 2, 20000, 4, -40000)], balances: [{ type: 'OPBD', amount: 33442521807 }, { type: 'CLBD', amount: 33442512642 }, { type: 'OPAV', amount: 33443249292 }, { type: 'CLAV', amount: 33443240127 }] }, warnings: [/= 33442501807, but the closing balance CLBD is 33442512642/] },
  { file: 'camt053/goldman_sachs_us_camt053_v02.xml', account: { currency: 'USD' }, format: 'CAMT053', statements: 1, imported: 15, balancesSeen: 4,
    selected: { accountNumber: 'DD01100056869', transactions: 15, totals: [t('USD', 10, 10000, 4, -4000), t('EUR', 0, 0, 1, -2906)], balances: [{ type: 'OPBD', amount: -84368620 }, { type: 'CLBD', amount: -84666515 }, { type: 'OPAV', amount: 33443249292 }, { type: 'CLAV', amount: 33443240127 }] }, warnings: [/= -84362620, but the closing balance CLBD is -84666515/] },
  { file: 'csv/ubs_ch_fr_trimmed.csv', account: { currency: 'CHF' }, format: 'CSV', statements: 1, imported: 3, balancesSeen: 0,
    body: { format: 'CSV', csv: { delimiter: ';', dateFormat: 'DD.MM.YYYY', thousandsSeparator: "'", columns: { date: 'Date de valeur', debit: 'Débit', credit: 'Crédit', balance: 'Solde', id: 'N° de transaction', currency: 'Monn.', account: 'Produit', counterparty: 'Description 2', description: ['Description 1', 'Description 2', 'Description 3'] } } },
    selected: { accountNumber: '0123 45678901.23A', transactions: 3, totals: [t('CHF', 1, 24000, 2, -21000)] } },
  { file: 'csv/gls_bank_de.csv', account: { currency: 'EUR' }, format: 'CSV', statements: 1, imported: 1, balancesSeen: 0,
    body: { format: 'CSV', csv: { delimiter: ';', dateFormat: 'DD.MM.YYYY', decimalSeparator: ',', thousandsSeparator: '.', columns: { date: 'Buchungstag', valueDate: 'Wertstellung', amount: 'Betrag', balance: 'Kontostand', currency: 'Währung', account: 'Kontonummer', counterparty: 'Auftraggeber/Empfänger', description: ['Buchungstext', 'VWZ1', 'VWZ2'] } } },
    selected: { accountNumber: '1234567890', transactions: 1, totals: [t('EUR', 0, 0, 1, -9876)] }, warnings: [/not valid UTF-8/] },
  { file: 'csv/ing_es.csv', account: { currency: 'EUR' }, format: 'CSV', statements: 1, imported: 10, balancesSeen: 0,
    body: { format: 'CSV', csv: { delimiter: ',', dateFormat: 'DD/MM/YYYY', currency: 'EUR', columns: { date: 'date', amount: 'amount', balance: 'balance', description: ['desc', 'notes'] } } },
    selected: { accountNumber: null, transactions: 10, totals: [t('EUR', 5, 190100, 5, -155079)] } },
];

describe('third-party statement files import with the facts of their README', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Statements Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it.each(CASES)('$file', async (c) => {
    const bankAccountId = await createBankAccount(hub, org.id, { name: c.file, ...c.account });
    const body = { fileName: c.file, contentBase64: fileBase64(join(SHARED_FIXTURES, c.file)), ...(c.body ?? {}) };
    const res = await importFile(hub, org.id, bankAccountId, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ format: c.format, statements: c.statements, imported: c.imported, duplicates: 0, balancesSeen: c.balancesSeen });
    const selected = res.body.details.filter((d: { selected: boolean }) => d.selected);
    expect(selected).toHaveLength(1);
    expect(selected[0]).toMatchObject({ accountNumber: c.selected.accountNumber, transactions: c.selected.transactions, imported: c.selected.transactions });
    expect(selected[0].totals).toEqual(c.selected.totals);
    if (c.selected.balances) expect(selected[0].balances).toMatchObject(c.selected.balances);
    if (c.warnings?.length === 0) expect(res.body.warnings).toEqual([]);
    for (const warning of c.warnings ?? []) expect(res.body.warnings.some((w: string) => warning.test(w)), `${String(warning)} in ${JSON.stringify(res.body.warnings)}`).toBe(true);

    const list = await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?bankAccountId=${bankAccountId}&limit=100`);
    expect(list.body.data).toHaveLength(c.imported);
    const sum = (list.body.data as Array<{ amount: number }>).reduce((s, x) => s + x.amount, 0);
    expect(sum).toBe(c.selected.totals.reduce((s, x) => s + x.creditAmount + x.debitAmount, 0));

    const again = await importFile(hub, org.id, bankAccountId, body);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ imported: 0, duplicates: c.imported });
  });

  it('reads what the facts alone do not show: text in windows-1252, names, negative balances, statement periods', async () => {
    const qfx = await createBankAccount(hub, org.id, { name: 'qfx text', currency: 'CAD' });
    await importFile(hub, org.id, qfx, { contentBase64: fileBase64(join(SHARED_FIXTURES, 'ofx/qfxparser_testSpecialChars.qfx')) });
    const lines = (await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?bankAccountId=${qfx}`)).body.data as Array<{ counterparty: string; amount: number; date: string }>;
    expect(lines.map((l) => l.counterparty).sort()).toEqual(["Retrait - Internet - Compte d'ép", 'Retrait - Internet - Compte-chèq']);
    expect(lines.map((l) => l.amount).sort((a, b) => a - b)).toContain(-10000);

    // The same file sent as text the caller decoded: its CHARSET:1252 header no longer applies.
    const asText = await createBankAccount(hub, org.id, { name: 'qfx as text', currency: 'CAD' });
    await importFile(hub, org.id, asText, { content: readFileSync(join(SHARED_FIXTURES, 'ofx/qfxparser_testSpecialChars.qfx'), 'latin1') });
    const textLines = (await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?bankAccountId=${asText}`)).body.data as Array<{ counterparty: string }>;
    expect(textLines.map((l) => l.counterparty).sort()).toEqual(["Retrait - Internet - Compte d'ép", 'Retrait - Internet - Compte-chèq']);

    const ing = await createBankAccount(hub, org.id, { name: 'ing', currency: 'EUR' });
    const body = { format: 'CSV', contentBase64: fileBase64(join(SHARED_FIXTURES, 'csv/ing_es.csv')), csv: { dateFormat: 'DD/MM/YYYY', columns: { date: 'date', amount: 'amount', balance: 'balance', description: ['desc'] } } };
    expect((await importFile(hub, org.id, ing, body)).status).toBe(201);
    const ingLines = (await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?bankAccountId=${ing}&limit=100`)).body.data as Array<{ runningBalance: number; description: string }>;
    const balances = ingLines.map((l) => l.runningBalance);
    expect([Math.min(...balances), Math.max(...balances)]).toEqual([-12619, 504935]);
    expect(ingLines.some((l) => l.description.includes('Nómina'))).toBe(true);
  });

  it('refuses a multi-account file for a bank account without an account number, naming the accounts, and writes nothing', async () => {
    const id = await createBankAccount(hub, org.id, { name: 'no number', currency: 'GBP' });
    const res = await importFile(hub, org.id, id, { contentBase64: fileBase64(join(SHARED_FIXTURES, 'ofx/ofxparser_multiple-accounts-xml.ofx')) });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/54658222458596.*546582659855.*21252344525548/);
    const list = await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?bankAccountId=${id}`);
    expect(list.body.data).toEqual([]);
  });
});
