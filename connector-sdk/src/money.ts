import { currencyMinorUnits, isCurrencyCode } from '@uah/schemas';

/**
 * Amounts at a provider's boundary: the books keep integer minor units, most provider APIs write decimal
 * numbers (`49.9` for USD 49.90). These convert through decimal text, so no binary fraction reaches an
 * amount of the books.
 */

function digitsOf(currency: string): number {
  if (!isCurrencyCode(currency)) throw new Error(`${currency} is not an ISO 4217 currency the hub knows`);
  return currencyMinorUnits(currency);
}

/**
 * Minor units as the provider's decimal number.
 *
 * @example
 * ```ts
 * minorToDecimal(4990, 'USD'); // 49.9
 * minorToDecimal(1500, 'JPY'); // 1500
 * ```
 */
export function minorToDecimal(minor: number, currency: string): number {
  const exp = digitsOf(currency);
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  return Number(`${minor < 0 ? '-' : ''}${digits.slice(0, digits.length - exp)}.${digits.slice(digits.length - exp) || '0'}`);
}

/**
 * A provider's decimal amount (number or text) as minor units; more decimals than the currency has are refused.
 *
 * @example
 * ```ts
 * decimalToMinor(49.9, 'USD');    // 4990
 * decimalToMinor('12.34', 'USD'); // 1234
 * ```
 */
export function decimalToMinor(value: number | string, currency: string): number {
  const exp = digitsOf(currency);
  const text = typeof value === 'number' ? value.toFixed(exp) : value;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`${text} is not an amount`);
  const fraction = (match[3] ?? '').padEnd(exp, '0');
  if (/[1-9]/.test(fraction.slice(exp))) throw new Error(`${text} has more decimals than ${currency} allows`);
  const minor = Number(`${match[2]}${fraction.slice(0, exp)}`);
  return match[1] ? -minor : minor;
}

/**
 * A provider's quantity as the books write one: a decimal string with at most 4 decimals (1 when missing).
 *
 * @example
 * ```ts
 * decimalQuantity(2.5); // '2.5'
 * ```
 */
export function decimalQuantity(value: unknown): string {
  const n = typeof value === 'number' && value > 0 ? value : typeof value === 'string' && Number(value) > 0 ? Number(value) : 1;
  return n.toFixed(4).replace(/\.?0+$/, '');
}
