import { currencyMinorUnits, isCurrencyCode, type CurrencyCode } from '@uah/connector-sdk';

/** PayPal's money object. */
export interface PayPalMoney {
  currency_code: string;
  value: string;
}

/** PayPal refuses decimals in these currencies, although ISO 4217 gives HUF and TWD two. */
const NO_DECIMALS_AT_PAYPAL = new Set(['HUF', 'JPY', 'TWD']);

function currencyOf(code: string): CurrencyCode {
  if (!isCurrencyCode(code)) throw new RangeError(`PayPal sent an unknown currency ${code}`);
  return code;
}

/** PayPal's decimal string ("10.99") as integer minor units of the currency (1099), exactly, without floats. */
export function toMinorUnits(money: PayPalMoney): { amount: number; currency: CurrencyCode } {
  const currency = currencyOf(money.currency_code);
  const decimals = currencyMinorUnits(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(money.value);
  if (!match) throw new RangeError(`PayPal sent an amount that is not a decimal: ${money.value}`);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals && /[^0]/.test(fraction.slice(decimals))) throw new RangeError(`${money.value} ${currency} has more than ${decimals} decimals`);
  const amount = BigInt(match[1] ?? '0') * 10n ** BigInt(decimals) + BigInt(fraction.slice(0, decimals).padEnd(decimals, '0') || '0');
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${money.value} ${currency} is too large`);
  return { amount: Number(amount), currency };
}

/** Integer minor units as PayPal's money object (1099 USD → "10.99"; 5000 JPY → "5000"). */
export function toPayPalMoney(amount: number, currency: CurrencyCode): PayPalMoney {
  const decimals = currencyMinorUnits(currency);
  const scale = 10n ** BigInt(decimals);
  const units = BigInt(amount);
  const whole = units / scale;
  const fraction = (units % scale).toString().padStart(decimals, '0');
  if (NO_DECIMALS_AT_PAYPAL.has(currency)) {
    if (/[^0]/.test(fraction)) throw new RangeError(`PayPal takes whole ${currency} only; ${amount} minor units is not`);
    return { currency_code: currency, value: whole.toString() };
  }
  return { currency_code: currency, value: decimals === 0 ? whole.toString() : `${whole}.${fraction}` };
}
