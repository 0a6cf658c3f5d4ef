import type { CurrencyCode, PostingDirection } from '@uah/schemas';
import { AppError, unprocessable, type FieldError } from '../http/errors.js';
import { currencyMinorUnits } from '@uah/schemas';
import { divRound, parseDecimal, toSafeNumber } from '../shared/money.js';
import type { AccountRef, BalanceDelta, LedgerAccount, LedgerContext, PostEntryInput, PreparedEntry, PreparedLine } from './types.js';

/**
 * Checks an entry against the ledger's rules and computes its base-currency amounts, without I/O.
 *
 * Rounding rule: lines in a foreign currency are converted at the entry's rate. Each side's base total is
 * that side's total converted and rounded half away from zero; it is shared among the side's lines by
 * largest remainder. Both sides have the same total in the entry's currency, so they get the same base
 * total: an entry that balances in its currency balances exactly in base currency too.
 */

export const MAX_LINE_AMOUNT = 100_000_000_000_000;
const RATE_DECIMALS = 12;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// The same shapes as the journal_lines CHECK constraints.
const INVOICE_ID = /^inv_[0-9A-Za-z]+$/;
const CUSTOMER_ID = /^cus_[0-9A-Za-z]+$/;
const BILL_ID = /^bill_[0-9A-Za-z]+$/;
const VENDOR_ID = /^ven_[0-9A-Za-z]+$/;

export function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

export function refLabel(ref: AccountRef): string {
  return 'id' in ref ? ref.id : 'key' in ref ? `key ${ref.key}` : `code ${ref.code}`;
}

export function findAccount(accounts: LedgerAccount[], ref: AccountRef): LedgerAccount | undefined {
  if ('id' in ref) return accounts.find((a) => a.id === ref.id);
  if ('key' in ref) return accounts.find((a) => a.systemKey === ref.key);
  return accounts.find((a) => a.code === ref.code);
}

/** The normalised rate (no trailing zeros), or null for the base currency; throws on a missing or bad rate. */
function entryRate(input: PostEntryInput, base: CurrencyCode): string | null {
  const given = input.exchangeRate;
  if (input.currency === base) {
    if (given !== undefined && parseRate(given) !== 10n ** BigInt(RATE_DECIMALS)) {
      throw unprocessable(`An entry in the base currency ${base} has no exchange rate other than 1.`, [{ field: '/exchangeRate', message: 'must be omitted for the base currency' }]);
    }
    return null;
  }
  if (given === undefined) {
    throw unprocessable(`An entry in ${input.currency} needs exchangeRate: units of ${base} per unit of ${input.currency}.`, [{ field: '/exchangeRate', message: 'is required for a foreign currency' }]);
  }
  const scaled = parseRate(given);
  if (scaled <= 0n) throw unprocessable('exchangeRate must be greater than zero.', [{ field: '/exchangeRate', message: 'must be greater than zero' }]);
  const text = scaled.toString().padStart(RATE_DECIMALS + 1, '0');
  const whole = text.slice(0, -RATE_DECIMALS);
  const fraction = text.slice(-RATE_DECIMALS).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

function parseRate(rate: string): bigint {
  try {
    return parseDecimal(rate, RATE_DECIMALS);
  } catch {
    throw unprocessable(`exchangeRate ${rate} is not a decimal number with at most ${RATE_DECIMALS} decimals.`, [{ field: '/exchangeRate', message: 'is not a valid rate' }]);
  }
}

function checkHead(input: PostEntryInput, ctx: LedgerContext): void {
  if (!isCalendarDate(input.date)) throw unprocessable(`${input.date} is not a calendar date (YYYY-MM-DD).`, [{ field: '/date', message: 'is not a date' }]);
  if (ctx.lockDate !== null && input.date <= ctx.lockDate) {
    throw new AppError('PERIOD_LOCKED', `The books are locked up to ${ctx.lockDate}: an entry dated ${input.date} cannot be posted. Date it after the lock date or move the lock date.`, {
      errors: [{ field: '/date', message: `must be after the lock date ${ctx.lockDate}` }],
    });
  }
  if (input.lines.length < 2) throw new AppError('UNBALANCED_ENTRY', 'A journal entry needs at least two lines.', { errors: [{ field: '/lines', message: 'needs at least two lines' }] });
}

function resolveLines(input: PostEntryInput, ctx: LedgerContext, allowInactive: boolean): PreparedLine[] {
  const errors: FieldError[] = [];
  const inactive: string[] = [];
  const lines: PreparedLine[] = [];
  input.lines.forEach((line, i) => {
    const at = `/lines/${i}`;
    const currency = line.currency ?? input.currency;
    if (!Number.isSafeInteger(line.amount) || line.amount <= 0 || line.amount > MAX_LINE_AMOUNT) errors.push({ field: `${at}/amount`, message: `must be an integer from 1 to ${MAX_LINE_AMOUNT} (minor units)` });
    if (line.direction !== 'DEBIT' && line.direction !== 'CREDIT') errors.push({ field: `${at}/direction`, message: 'must be DEBIT or CREDIT' });
    if (currency !== input.currency && currency !== ctx.baseCurrency) errors.push({ field: `${at}/currency`, message: `must be the entry's currency ${input.currency} or the base currency ${ctx.baseCurrency}` });
    const account = findAccount(ctx.accounts, line.account);
    if (!account) {
      errors.push({ field: `${at}/${'code' in line.account ? 'accountCode' : 'accountId'}`, message: `no account ${refLabel(line.account)} in this organization` });
      return;
    }
    if (!account.active && !allowInactive) inactive.push(`${account.code} ${account.name}`);
    if (account.currency !== null && account.currency !== currency) errors.push({ field: `${at}/currency`, message: `account ${account.code} only takes ${account.currency}` });
    const invoiceId = line.reference?.invoiceId ?? null;
    const customerId = line.reference?.customerId ?? null;
    if (invoiceId !== null && !INVOICE_ID.test(invoiceId)) errors.push({ field: `${at}/reference/invoiceId`, message: 'is not an invoice id (inv_…)' });
    if (customerId !== null && !CUSTOMER_ID.test(customerId)) errors.push({ field: `${at}/reference/customerId`, message: 'is not a customer id (cus_…)' });
    const billId = line.reference?.billId ?? null;
    const vendorId = line.reference?.vendorId ?? null;
    if (billId !== null && !BILL_ID.test(billId)) errors.push({ field: `${at}/reference/billId`, message: 'is not a bill id (bill_…)' });
    if (vendorId !== null && !VENDOR_ID.test(vendorId)) errors.push({ field: `${at}/reference/vendorId`, message: 'is not a vendor id (ven_…)' });
    lines.push({ lineNo: i + 1, account, direction: line.direction, amount: line.amount, currency, baseAmount: 0, description: line.description ?? null, invoiceId, customerId, billId, vendorId });
  });
  if (errors.length > 0) throw unprocessable(`The entry has ${errors.length} invalid line field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, errors);
  if (inactive.length > 0) throw new AppError('ACCOUNT_INACTIVE', `Inactive accounts take no postings: ${inactive.join(', ')}.`);
  return lines;
}

/** Debits and credits per currency; throws UNBALANCED_ENTRY naming each currency that does not balance. */
export function totalsOf(lines: Array<{ direction: PostingDirection; amount: number; currency: CurrencyCode }>): PreparedEntry['totals'] {
  const sums = new Map<CurrencyCode, { debit: bigint; credit: bigint }>();
  for (const line of lines) {
    const sum = sums.get(line.currency) ?? { debit: 0n, credit: 0n };
    if (line.direction === 'DEBIT') sum.debit += BigInt(line.amount);
    else sum.credit += BigInt(line.amount);
    sums.set(line.currency, sum);
  }
  const off = [...sums].filter(([, s]) => s.debit !== s.credit);
  if (off.length > 0) {
    throw new AppError('UNBALANCED_ENTRY', `Debits must equal credits in every currency: ${off.map(([c, s]) => `${c} debits ${s.debit}, credits ${s.credit}`).join('; ')} (minor units).`);
  }
  const totals = [...sums].map(([currency, s]) => ({ currency, debit: Number(s.debit), credit: Number(s.credit) }));
  if (totals.some((t) => !Number.isSafeInteger(t.debit))) throw unprocessable('The entry total is too large.');
  return totals;
}

/**
 * Base amounts for the lines: per side, the converted side total is shared among the side's foreign lines
 * by largest remainder (each line gets its converted amount rounded down, and the units left go to the
 * lines with the largest fractions), so no line is off by more than one minor unit and the sides balance.
 */
export function allocateBase(lines: PreparedLine[], currency: CurrencyCode, base: CurrencyCode, rate: string | null): void {
  for (const line of lines) line.baseAmount = line.amount;
  if (rate === null || currency === base) return;
  const shift = currencyMinorUnits(base) - currencyMinorUnits(currency);
  const scaledRate = parseDecimal(rate, RATE_DECIMALS) * 10n ** BigInt(Math.max(shift, 0));
  const denominator = 10n ** BigInt(RATE_DECIMALS + Math.max(-shift, 0));
  for (const direction of ['DEBIT', 'CREDIT'] as const) {
    const side = lines.filter((l) => l.direction === direction && l.currency !== base);
    const exact = side.map((l) => BigInt(l.amount) * scaledRate);
    const total = divRound(exact.reduce((s, x) => s + x, 0n), denominator);
    if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw unprocessable(`At the rate ${rate} the entry is worth more than ${Number.MAX_SAFE_INTEGER} minor units of ${base}.`, [{ field: '/exchangeRate', message: 'gives base amounts that are too large' }]);
    let left = total - exact.reduce((s, x) => s + x / denominator, 0n);
    const byRemainder = side.map((_, i) => i).sort((a, b) => {
      const ra = (exact[a] ?? 0n) % denominator;
      const rb = (exact[b] ?? 0n) % denominator;
      return ra === rb ? a - b : ra > rb ? -1 : 1;
    });
    side.forEach((line, i) => (line.baseAmount = toSafeNumber((exact[i] ?? 0n) / denominator)));
    for (const i of byRemainder) {
      if (left <= 0n) break;
      const line = side[i];
      if (line) line.baseAmount += 1;
      left -= 1n;
    }
  }
}

export function prepareEntry(input: PostEntryInput, ctx: LedgerContext, options: { allowInactive?: boolean; reversalOf?: string } = {}): PreparedEntry {
  checkHead(input, ctx);
  const exchangeRate = entryRate(input, ctx.baseCurrency);
  const lines = resolveLines(input, ctx, options.allowInactive ?? false);
  const totals = totalsOf(lines);
  allocateBase(lines, input.currency, ctx.baseCurrency, exchangeRate);
  const baseTotal = lines.filter((l) => l.direction === 'DEBIT').reduce((s, l) => s + l.baseAmount, 0);
  return {
    date: input.date,
    currency: input.currency,
    exchangeRate,
    baseCurrency: ctx.baseCurrency,
    memo: input.memo ?? null,
    source: input.source ?? null,
    reversalOf: options.reversalOf ?? null,
    metadata: input.metadata ?? {},
    lines,
    totals,
    baseTotal,
  };
}

/** What the entry does to each account's balance per currency, ordered by account id then currency (the lock order). */
export function balanceDeltas(lines: PreparedLine[]): BalanceDelta[] {
  const byKey = new Map<string, BalanceDelta>();
  for (const line of lines) {
    const key = `${line.account.id}\u0000${line.currency}`;
    const delta = byKey.get(key) ?? { accountId: line.account.id, accountCode: line.account.code, currency: line.currency, amount: 0 };
    delta.amount += line.direction === 'DEBIT' ? line.amount : -line.amount;
    byKey.set(key, delta);
  }
  return [...byKey.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/** The signed base-currency change per account. */
export function baseDeltas(lines: PreparedLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) out.set(line.account.id, (out.get(line.account.id) ?? 0) + (line.direction === 'DEBIT' ? line.baseAmount : -line.baseAmount));
  return out;
}
