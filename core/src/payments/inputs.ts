import type { CurrencyCode } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import { formatDecimal, parseDecimal } from '../shared/money.js';

const RATE_SCALE = 12;

/** Today in UTC, YYYY-MM-DD: the default accounting date. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The UTC day of an instant. */
export function utcDate(instant: Date | string): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/**
 * The exchange rate to store: required (and positive) when the document's currency is not the base
 * currency; absent or 1 when it is (stored as null).
 */
export function normaliseRate(rate: string | undefined | null, currency: CurrencyCode, base: CurrencyCode, field: string): string | null {
  const error = (message: string): AppError => new AppError('VALIDATION_FAILED', message, { errors: [{ field, in: 'body', message }] });
  if (currency === base) {
    if (rate !== undefined && rate !== null && parseDecimal(rate, RATE_SCALE) !== 10n ** BigInt(RATE_SCALE)) throw error(`${currency} is the base currency: its exchange rate is 1`);
    return null;
  }
  if (rate === undefined || rate === null) throw error(`exchangeRate is required: ${currency} is not the base currency ${base}`);
  const scaled = parseDecimal(rate, RATE_SCALE);
  if (scaled <= 0n) throw error('exchangeRate must be positive');
  return formatDecimal(scaled, RATE_SCALE);
}

/** Turns a 404 of a referenced entity into a 422 naming the body field that refers to it. */
export function referenceNotFound(field: string, what: string, id: string) {
  return (error: unknown): never => {
    if (error instanceof AppError && error.code === 'NOT_FOUND') {
      throw new AppError('UNPROCESSABLE', `No ${what} ${id} in this organization.`, { errors: [{ field, in: 'body', message: `no such ${what} in this organization` }] });
    }
    throw error;
  };
}
