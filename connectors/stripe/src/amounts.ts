import { currencyMinorUnits, type CurrencyCode } from '@uah/connector-sdk';

/**
 * Stripe's amounts are in "the smallest currency unit" by Stripe's own table, which is not always
 * ISO 4217's (https://docs.stripe.com/currencies#zero-decimal):
 * - zero-decimal currencies (JPY, KRW, …) take whole units, as ISO does;
 * - ISK and UGX are zero-decimal in ISO but Stripe still takes them with two decimals, in multiples of 100;
 * - three-decimal currencies (BHD, JOD, KWD, OMR, TND) take thousandths whose last digit is 0.
 * The books keep ISO minor units; these two functions are the only conversion.
 */
const TWO_DECIMAL_FOR_STRIPE = new Set(['ISK', 'UGX']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Decimal places of Stripe's amounts in `currency`. */
export function stripeDecimals(currency: CurrencyCode): number {
  return TWO_DECIMAL_FOR_STRIPE.has(currency) ? 2 : currencyMinorUnits(currency);
}

export class AmountNotPayable extends Error {
  override readonly name = 'AmountNotPayable';
}

/** Our minor units → Stripe's amount; refuses what Stripe cannot charge (a three-decimal amount not ending in 0). */
export function toStripeAmount(minor: number, currency: CurrencyCode): number {
  if (THREE_DECIMAL.has(currency) && minor % 10 !== 0) {
    throw new AmountNotPayable(`Stripe charges ${currency} in multiples of 10 thousandths: ${minor} cannot be charged`);
  }
  return minor * 10 ** (stripeDecimals(currency) - currencyMinorUnits(currency));
}

/** Stripe's amount → our minor units (exact for every amount Stripe reports in `currency`). */
export function fromStripeAmount(amount: number, currency: CurrencyCode): number {
  const shift = stripeDecimals(currency) - currencyMinorUnits(currency);
  return shift === 0 ? amount : Math.round(amount / 10 ** shift);
}

/** Stripe's lower-case currency as the books spell it. */
export const currencyOf = (stripeCurrency: string): CurrencyCode => stripeCurrency.toUpperCase() as CurrencyCode;

/** A Unix timestamp (seconds) as ISO 8601, and its UTC day. */
export const isoOf = (seconds: number): string => new Date(seconds * 1000).toISOString();
export const dayOf = (seconds: number): string => isoOf(seconds).slice(0, 10);
