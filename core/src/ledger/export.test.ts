import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

/** hledger (Debian package `hledger`, installed by CI) reads the export: the books check out in another tool. */
function hledger(file: string, ...args: string[]): string {
  try {
    return execFileSync('hledger', ['-f', file, ...args], { encoding: 'utf8' });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('hledger is not installed: apt-get install -y hledger (CI installs it)', { cause: error });
    throw new Error(`hledger ${args.join(' ')} failed: ${e.stderr ?? String(error)}`, { cause: error });
  }
}

/** `hledger bal -O csv` rows as account name → amount text. */
function balances(csv: string): Map<string, string> {
  const rows = csv.trim().split('\n').slice(1).map((line) => line.split('","').map((cell) => cell.replace(/^"|"$/g, '')));
  return new Map(rows.filter(([name]) => name !== 'total').map(([name, amount]) => [name ?? '', amount ?? '']));
}

describe('journal export in the (h)ledger format', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const post = async (body: Record<string, unknown>) => {
    const res = await hub.request('POST', path('/journal-entries'), { body });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Export Co', 'USD');
    await hub.request('POST', path('/accounts'), { body: { code: '1010', name: 'Bank EUR', type: 'ASSET', currency: 'EUR' } });
    const capital = await post({ date: '2026-01-05', currency: 'USD', memo: 'Capital; first: yes', lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 1_000_000 }, { accountCode: '3000', direction: 'CREDIT', amount: 1_000_000 }] });
    await post({ date: '2026-01-04', currency: 'EUR', exchangeRate: '1.0837', lines: [{ accountCode: '1010', direction: 'DEBIT', amount: 1001 }, { accountCode: '1010', direction: 'DEBIT', amount: 1001 }, { accountCode: '4100', direction: 'CREDIT', amount: 2002, description: 'fee: x' }] });
    await post({ date: '2026-01-06', currency: 'JPY', exchangeRate: '0.0067', lines: [{ accountCode: '1100', direction: 'DEBIT', amount: 15_000 }, { accountCode: '4000', direction: 'CREDIT', amount: 15_000 }] });
    await post({
      date: '2026-02-01', currency: 'EUR', exchangeRate: '1.1', memo: 'Settlement with FX difference',
      lines: [{ accountCode: '1010', direction: 'DEBIT', amount: 999 }, { accountCode: '1100', direction: 'CREDIT', amount: 999 }, { accountCode: '1100', direction: 'DEBIT', amount: 3, currency: 'USD' }, { accountCode: '7900', direction: 'CREDIT', amount: 3, currency: 'USD' }],
    });
    await post({ date: '2026-02-03', currency: 'USD', lines: [{ accountCode: '6900', direction: 'DEBIT', amount: 12_345 }, { accountCode: '6100', direction: 'DEBIT', amount: 55 }, { accountCode: '1000', direction: 'CREDIT', amount: 12_400 }] });
    expect((await hub.request('POST', path(`/journal-entries/${capital.id}/reverse`), { body: {} })).status).toBe(201);
  });
  afterAll(() => hub.close());

  it('passes hledger check, and hledger balances equal the ledger balances, per account, in base and in each currency', async () => {
    const res = await hub.request('GET', path('/journal-entries/export'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = res.body as string;
    expect(text).toContain('commodity 1000. JPY');
    expect(text).toContain('commodity 1000.00 USD');
    expect(text).toContain('account assets:1100 Accounts receivable  ; type: A');
    expect(text).toContain('    assets:1010 Bank EUR  9.99 EUR @@ 10.99 USD');
    const file = join(mkdtempSync(join(tmpdir(), 'uah-export-')), 'journal.ledger');
    writeFileSync(file, text);
    hledger(file, 'check', '--strict', 'ordereddates');

    const atCost = balances(hledger(file, 'bal', '-B', '--flat', '-O', 'csv'));
    const ours = await hub.core.services.ledger.accountBalances(org.id, {});
    const nonZero = ours.filter((b) => b.balance !== 0);
    expect(nonZero.length).toBeGreaterThan(4);
    expect([...atCost.keys()].sort()).toEqual(nonZero.map((b) => `${b.account.type === 'ASSET' ? 'assets' : b.account.type === 'LIABILITY' ? 'liabilities' : b.account.type === 'EQUITY' ? 'equity' : b.account.type === 'REVENUE' ? 'revenue' : 'expenses'}:${b.account.code} ${b.account.name}`).sort());
    for (const b of nonZero) {
      const name = [...atCost.keys()].find((n) => n.includes(`:${b.account.code} `)) ?? '';
      expect(atCost.get(name), b.account.code).toBe(`${(b.balance / 100).toFixed(2)} USD`);
    }
    // In their own currencies (no conversion), the EUR account holds what its EUR lines say.
    const native = balances(hledger(file, 'bal', '--flat', '-O', 'csv'));
    expect(native.get('assets:1010 Bank EUR')).toBe('30.01 EUR');
    expect(native.get('revenue:4000 Sales revenue')).toBe('-15000 JPY');
  });

  it('exports a date range, and the same text with ?format=ledger on the list', async () => {
    const ranged = await hub.request('GET', path('/journal-entries/export?from=2026-02-01&to=2026-02-28'));
    expect(ranged.body.match(/^\d{4}-\d{2}-\d{2} \(\d+\)/gm)).toEqual(['2026-02-01 (4)', '2026-02-03 (5)']);
    // format=ledger switches the list to text/plain, a media type the operation documents beside its JSON page.
    const listed = await hub.request('GET', path('/journal-entries?format=ledger&from=2026-02-01&to=2026-02-28'));
    expect(listed.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(listed.body).toBe(ranged.body);
    expect((await hub.request('GET', path('/journal-entries?format=csv'))).status).toBe(400);
  });
});
