import { decimalToMinorUnits, isCurrencyCode, type CurrencyCode } from '@uah/schemas';
import { unreadable } from './problems.js';

/**
 * A plain decimal ("-1234.5", "01.00", "+18.70", "-100") in minor units of `currency`, exactly: digits
 * beyond the currency's minor units must be zeros. `what` names the value in the error.
 */
export function minorUnits(value: string, currency: CurrencyCode, what: string): number {
  try {
    return decimalToMinorUnits(value, currency);
  } catch (error) {
    throw unreadable(`${what}: ${(error as Error).message}`);
  }
}

/** A number written with the given separators ("11'373.94", "1.234,56", "-98,76") as a plain decimal. */
export function normaliseNumber(value: string, decimal: '.' | ',', thousands: string): string {
  let s = value.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (thousands) s = s.split(thousands).join('');
  if (thousands === "'") s = s.replace(/\u2019/g, '');
  if (decimal === ',') s = s.replace(',', '.');
  // Some banks write a trailing minus ("98.76-") or parentheses for debits.
  const trailing = /^(\d[\d.]*)-$/.exec(s);
  if (trailing) s = `-${trailing[1]}`;
  const paren = /^\((\d[\d.]*)\)$/.exec(s);
  if (paren) s = `-${paren[1]}`;
  return s;
}

/** A currency code as written in a file, upper-cased; null when absent, an error when it is no ISO 4217 code. */
export function currencyOf(value: string | null | undefined, what: string): CurrencyCode | null {
  const code = (value ?? '').trim().toUpperCase();
  if (!code) return null;
  if (!isCurrencyCode(code)) throw unreadable(`${what}: "${code.slice(0, 10)}" is not an ISO 4217 currency code.`);
  return code;
}

/** A calendar date, checked (2023-02-30 is refused). */
export function isoDate(year: string, month: string, day: string, what: string, raw: string): string {
  const iso = `${year.padStart(4, '0')}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) throw unreadable(`${what}: "${raw.slice(0, 40)}" is not a valid date.`);
  return iso;
}
