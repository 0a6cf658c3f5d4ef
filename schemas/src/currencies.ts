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
