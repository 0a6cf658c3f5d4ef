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
