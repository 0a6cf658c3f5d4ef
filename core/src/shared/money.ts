import { currencyMinorUnits, type CurrencyCode } from '@uah/schemas';

/**
 * Money is an integer number of minor units (cents, yen, fils) of one ISO 4217 currency. Amounts are
 * JavaScript safe integers (|x| ≤ 2^53 − 1, checked); products and quotients are computed with bigint
 * and rounded once, half away from zero.
 */
export interface Money {
  amount: number;
  currency: CurrencyCode;
}

export function assertMinor(amount: number, what = 'amount'): number {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`${what} must be an integer number of minor units, got ${amount}`);
  return amount;
}

/** Divides with rounding half away from zero. */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

export function toSafeNumber(value: bigint, what = 'amount'): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${value} is too large`);
  return n;
}

/** Parses a non-negative decimal string with at most `scale` decimals into a scaled bigint ("1.5", 4 → 15000n). */
export function parseDecimal(value: string, scale: number): bigint {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new RangeError(`not a decimal number: ${value}`);
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > scale) throw new RangeError(`${value} has more than ${scale} decimals`);
  const scaled = BigInt(whole + fraction.padEnd(scale, '0'));
  return sign ? -scaled : scaled;
}

/** Formats a scaled bigint back to a decimal string, trimming trailing zeros ("15000n", 4 → "1.5"). */
export function formatDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Minor units as a plain decimal string in major units: 123456 USD → "1234.56", 500 JPY → "500". */
export function formatMinor(amount: number, currency: CurrencyCode): string {
  const scale = currencyMinorUnits(currency);
  const negative = amount < 0;
  const digits = Math.abs(amount).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Converts minor units between currencies at `rate` (units of `to` per unit of `from`, a decimal string). */
export function convertMinor(amount: number, from: CurrencyCode, to: CurrencyCode, rate: string): number {
  const RATE_SCALE = 12;
  const scaledRate = parseDecimal(rate, RATE_SCALE);
  const shift = currencyMinorUnits(to) - currencyMinorUnits(from);
  let numerator = BigInt(amount) * scaledRate;
  let denominator = 10n ** BigInt(RATE_SCALE);
  if (shift > 0) numerator *= 10n ** BigInt(shift);
  else denominator *= 10n ** BigInt(-shift);
  return toSafeNumber(divRound(numerator, denominator));
}
