import type { CurrencyCode } from './generated/types.js';
import { components } from './components.js';

const table = (components['CurrencyCode']?.['x-minor-units'] ?? {}) as Record<CurrencyCode, number>;

/** Decimal places of an ISO 4217 currency: 2 for USD, 0 for JPY, 3 for KWD. */
export function currencyMinorUnits(currency: CurrencyCode): number {
  const units = table[currency];
  if (units === undefined) throw new RangeError(`unknown currency ${currency}`);
  return units;
}

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(table, value);
}

const MAX_MINOR = 9_007_199_254_740_991n;

/**
 * A plain decimal ("-1234.5", "01.00", "+18.70", "-100") in minor units of `currency`, exactly, without
 * going through a float: digits beyond the currency's minor units must be zeros. A RangeError says why not.
 */
export function decimalToMinorUnits(value: string, currency: CurrencyCode): number {
  const m = /^([+-]?)(\d{1,16})(?:\.(\d{0,12}))?$/.exec(value.trim());
  if (!m) throw new RangeError(`"${value.slice(0, 40)}" is not an amount.`);
  const digits = currencyMinorUnits(currency);
  const fraction = m[3] ?? '';
  if (/[1-9]/.test(fraction.slice(digits))) throw new RangeError(`"${value}" has more decimals than ${currency} has (${digits}).`);
  const minor = BigInt(m[2] ?? '0') * 10n ** BigInt(digits) + BigInt(fraction.slice(0, digits).padEnd(digits, '0') || '0');
  if (minor > MAX_MINOR) throw new RangeError(`"${value}" is too large.`);
  const n = Number(minor);
  return m[1] === '-' ? -n : n;
}
