import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyMinorUnits, type CurrencyCode } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import { convertMinor } from '../shared/money.js';
import { balanceDeltas, prepareEntry } from './posting.js';
import type { LedgerAccount, LedgerContext, PostEntryInput } from './types.js';

const account = (id: string, code: string, extra: Partial<LedgerAccount> = {}): LedgerAccount => ({ id, code, name: `Account ${code}`, type: 'ASSET', currency: null, systemKey: null, active: true, ...extra });
const accounts = [account('acc_a', '1000', { systemKey: 'bank' }), account('acc_b', '4100', { type: 'REVENUE' }), account('acc_c', '7900', { type: 'EXPENSE' }), account('acc_old', '6000', { active: false })];
const ctx = (extra: Partial<LedgerContext> = {}): LedgerContext => ({ baseCurrency: 'USD', lockDate: null, entryNumberSequence: 'seq', chartVersion: 1, accounts, ...extra });

function refused(input: PostEntryInput, context = ctx()): AppError {
  try {
    prepareEntry(input, context);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the entry to be refused');
}

describe('prepareEntry', () => {
  it('resolves accounts by id, code or system key, and totals per currency', () => {
    const prepared = prepareEntry(
      { date: '2026-01-31', currency: 'USD', memo: 'm', lines: [{ account: { key: 'bank' }, direction: 'DEBIT', amount: 300 }, { account: { code: '4100' }, direction: 'CREDIT', amount: 200 }, { account: { id: 'acc_c' }, direction: 'CREDIT', amount: 100 }] },
      ctx(),
    );
    expect(prepared.lines.map((l) => [l.account.id, l.direction, l.amount, l.baseAmount])).toEqual([['acc_a', 'DEBIT', 300, 300], ['acc_b', 'CREDIT', 200, 200], ['acc_c', 'CREDIT', 100, 100]]);
    expect(prepared).toMatchObject({ exchangeRate: null, baseTotal: 300, totals: [{ currency: 'USD', debit: 300, credit: 300 }] });
    expect(balanceDeltas(prepared.lines)).toEqual([
      { accountId: 'acc_a', accountCode: '1000', currency: 'USD', amount: 300 },
      { accountId: 'acc_b', accountCode: '4100', currency: 'USD', amount: -200 },
      { accountId: 'acc_c', accountCode: '7900', currency: 'USD', amount: -100 },
    ]);
  });

  it('refuses what the books cannot hold, with stable codes', () => {
    const lines = (a: number, b: number): PostEntryInput['lines'] => [{ account: { key: 'bank' }, direction: 'DEBIT', amount: a }, { account: { code: '4100' }, direction: 'CREDIT', amount: b }];
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(100, 99) }).code).toBe('UNBALANCED_ENTRY');
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(100, 100).slice(0, 1) }).code).toBe('UNBALANCED_ENTRY');
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(0, 0) }).errors?.[0]?.field).toBe('/lines/0/amount');
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(1.5, 1.5) }).errors?.[0]?.field).toBe('/lines/0/amount');
    expect(refused({ date: '2026-02-29', currency: 'USD', lines: lines(1, 1) }).errors?.[0]?.field).toBe('/date');
    expect(refused({ date: '2026-01-31', currency: 'EUR', lines: lines(1, 1) }).errors?.[0]?.field).toBe('/exchangeRate');
    expect(refused({ date: '2026-01-31', currency: 'EUR', exchangeRate: '0', lines: lines(1, 1) }).errors?.[0]?.field).toBe('/exchangeRate');
    expect(refused({ date: '2026-01-31', currency: 'USD', exchangeRate: '2', lines: lines(1, 1) }).errors?.[0]?.field).toBe('/exchangeRate');
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: [{ account: { code: '6000' }, direction: 'DEBIT', amount: 1 }, { account: { code: '4100' }, direction: 'CREDIT', amount: 1 }] }).code).toBe('ACCOUNT_INACTIVE');
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: [{ account: { id: 'acc_zz' }, direction: 'DEBIT', amount: 1 }, { account: { code: '4100' }, direction: 'CREDIT', amount: 1 }] }).errors?.[0]).toMatchObject({ field: '/lines/0/accountId', message: 'no account acc_zz in this organization' });
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(1, 1) }, ctx({ lockDate: '2026-01-31' })).code).toBe('PERIOD_LOCKED');
    const restricted = ctx({ accounts: [...accounts.slice(1), account('acc_a', '1000', { systemKey: 'bank', currency: 'EUR' })] });
    expect(refused({ date: '2026-01-31', currency: 'USD', lines: lines(1, 1) }, restricted).errors?.[0]?.message).toBe('account 1000 only takes EUR');
  });

  it('normalises the rate and converts foreign lines; base-currency lines stay as they are', () => {
    const prepared = prepareEntry(
      {
        date: '2026-01-31', currency: 'JPY', exchangeRate: '0.006700',
        lines: [{ account: { key: 'bank' }, direction: 'DEBIT', amount: 15000 }, { account: { code: '4100' }, direction: 'CREDIT', amount: 15000 }, { account: { code: '7900' }, direction: 'DEBIT', amount: 7, currency: 'USD' }, { account: { key: 'bank' }, direction: 'CREDIT', amount: 7, currency: 'USD' }],
      },
      ctx(),
    );
    expect(prepared.exchangeRate).toBe('0.0067');
    expect(prepared.lines.map((l) => l.baseAmount)).toEqual([10050, 10050, 7, 7]);
    expect(prepared.baseTotal).toBe(10057);
    expect(prepared.totals).toEqual([{ currency: 'JPY', debit: 15000, credit: 15000 }, { currency: 'USD', debit: 7, credit: 7 }]);
  });

  it('property: any entry balanced in its currency balances exactly in base, each line within one unit of its own conversion', () => {
    const currencies: CurrencyCode[] = ['EUR', 'JPY', 'KWD', 'USD'];
    const side = fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 8 });
    let checked = 0;
    fc.assert(
      fc.property(fc.constantFrom(...currencies), side, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 ** 9 }), fc.constantFrom(2, 4, 8, 12), (currency, debits, split, rateUnits, scale) => {
        const total = debits.reduce((s, x) => s + x, 0);
        const credits = Array.from({ length: split }, (_, i) => Math.floor(total / split) + (i < total % split ? 1 : 0)).filter((x) => x > 0);
        const rate = (rateUnits / 10 ** scale).toFixed(scale);
        const input: PostEntryInput = {
          date: '2026-01-31', currency, ...(currency === 'USD' ? {} : { exchangeRate: rate }),
          lines: [...debits.map((amount) => ({ account: { key: 'bank' as const }, direction: 'DEBIT' as const, amount })), ...credits.map((amount) => ({ account: { code: '4100' }, direction: 'CREDIT' as const, amount }))],
        };
        // The exact worth in USD cents: entries beyond the safe integer range are refused with a 4xx.
        const shift = 2 - currencyMinorUnits(currency);
        const worth = currency === 'USD' ? BigInt(total) : (BigInt(total) * BigInt(rateUnits) * 10n ** BigInt(Math.max(shift, 0))) / 10n ** BigInt(scale + Math.max(-shift, 0));
        if (worth >= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(refused(input).code).toBe('UNPROCESSABLE');
          return;
        }
        const prepared = prepareEntry(input, ctx());
        checked += 1;
        const sum = (d: 'DEBIT' | 'CREDIT') => prepared.lines.filter((l) => l.direction === d).reduce((s, l) => s + l.baseAmount, 0);
        expect(sum('DEBIT')).toBe(sum('CREDIT'));
        for (const line of prepared.lines) {
          const alone = currency === 'USD' ? line.amount : convertMinor(line.amount, currency, 'USD', rate);
          expect(line.baseAmount).toBeGreaterThanOrEqual(0);
          expect(Math.abs(line.baseAmount - alone)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(150);
  });
});
