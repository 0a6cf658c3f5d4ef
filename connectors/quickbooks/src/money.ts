/** Amounts cross the boundary here: integer minor units in the hub, decimal numbers in QuickBooks' JSON. */

/** Minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for BHD). */
export function exponentOf(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 4990 USD → 49.9 */
export function toDecimal(minor: number, currency: string): number {
  const exp = exponentOf(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  return Number(`${sign}${digits.slice(0, digits.length - exp)}.${digits.slice(digits.length - exp) || '0'}`);
}

/** 49.9 USD → 4990, read through its decimal text so no binary fraction leaks into the amount. */
export function toMinor(value: unknown, currency: string): number {
  const exp = exponentOf(currency);
  const text = typeof value === 'number' ? value.toFixed(exp) : typeof value === 'string' ? value : '0';
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`${text} is not an amount`);
  const fraction = (match[3] ?? '').padEnd(exp, '0');
  if (fraction.length > exp && /[1-9]/.test(fraction.slice(exp))) throw new Error(`${text} has more decimals than ${currency} allows`);
  const minor = Number(`${match[2]}${fraction.slice(0, exp)}`);
  return match[1] ? -minor : minor;
}

/** A QuickBooks quantity as the hub writes one: a decimal string with at most 4 decimals. */
export function quantityOf(value: unknown): string {
  const n = typeof value === 'number' && value > 0 ? value : 1;
  return n.toFixed(4).replace(/\.?0+$/, '');
}
