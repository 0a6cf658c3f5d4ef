import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ApiResponse, TestHub } from '../testing/harness.js';

/** Test helpers of the banking context (tests only). */

/** The third-party statement samples beside the repository (`../shared`), or where BANK_STATEMENT_FIXTURES points. */
export const SHARED_FIXTURES = process.env['BANK_STATEMENT_FIXTURES'] ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/bank-statements');
export const OWN_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fileBase64(path: string): string {
  return readFileSync(path).toString('base64');
}

export async function createBankAccount(hub: TestHub, orgId: string, body: Record<string, unknown>): Promise<string> {
  const res = await hub.request('POST', `/v1/organizations/${orgId}/bank-accounts`, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

export function importFile(hub: TestHub, orgId: string, bankAccountId: string, body: Record<string, unknown>): Promise<ApiResponse> {
  return hub.request('POST', `/v1/organizations/${orgId}/bank-accounts/${bankAccountId}/imports`, { body });
}

export async function countRows(hub: TestHub, table: string): Promise<number> {
  return Number((await hub.db.knex(table).count({ n: '*' }).first())?.n);
}

/** GLS Bank's CSV (third-party sample): one debit, 98,76 EUR on 10.10.2017 to "Drillisch Online AG", text "SEPA-Basislastschrift B4658645 U123456789 B123456 987 SIMply Rechnung". */
export const GLS_DEBIT = {
  file: 'csv/gls_bank_de.csv', amount: -9876, date: '2017-10-10', counterparty: 'Drillisch Online AG', reference: 'B4658645',
  body: { format: 'CSV', csv: { delimiter: ';', dateFormat: 'DD.MM.YYYY', decimalSeparator: ',', thousandsSeparator: '.', columns: { date: 'Buchungstag', valueDate: 'Wertstellung', amount: 'Betrag', balance: 'Kontostand', currency: 'Währung', account: 'Kontonummer', counterparty: 'Auftraggeber/Empfänger', description: ['Buchungstext', 'VWZ1', 'VWZ2'] } } },
} as const;

/** Imports the GLS sample into the organization's bank account; returns its one line's id. */
export async function importGlsDebit(hub: TestHub, org: { id: string; apiKey: string }, bankAccountId: string): Promise<string> {
  const body = { fileName: GLS_DEBIT.file, contentBase64: fileBase64(join(SHARED_FIXTURES, GLS_DEBIT.file)), ...GLS_DEBIT.body };
  const res = await hub.request('POST', `/v1/organizations/${org.id}/bank-accounts/${bankAccountId}/imports`, { token: org.apiKey, body });
  expect([res.status, res.body.imported], JSON.stringify(res.body)).toEqual([201, 1]);
  const list = await hub.request('GET', `/v1/organizations/${org.id}/bank-transactions?importId=${res.body.id as string}`, { token: org.apiKey });
  expect(list.body.data).toMatchObject([{ amount: GLS_DEBIT.amount, date: GLS_DEBIT.date, direction: 'DEBIT', counterparty: GLS_DEBIT.counterparty }]);
  return list.body.data[0].id as string;
}
