import type { SalesLine, SalesLineDiscount, SalesTaxSummary } from '@uah/schemas';
import { divRound, formatDecimal, parseDecimal, toSafeNumber } from '../shared/money.js';
import { unprocessable } from '../http/errors.js';

/** Quantities carry up to 4 decimals: 1.5 is held as 15000 ten-thousandths. */
export const QUANTITY_SCALE = 4;
const QUANTITY_ONE = 10n ** BigInt(QUANTITY_SCALE);
const BASIS = 10_000n;
/** The largest amount a line or a document may reach (the schemas' bound on money), in minor units. */
export const MAX_DOCUMENT_AMOUNT = 100_000_000_000_000;

/** A line whose product, price, tax rate and revenue account are known: all that its figures depend on. */
export interface PricedLine {
  productId: string | null;
  description: string;
  quantity: string;
  unitPrice: number;
  discount: SalesLineDiscount | null;
  taxRateId: string | null;
  taxRateBasisPoints: number | null;
  accountId: string | null;
}

export interface DocumentTotals {
  subtotal: number;
  discountTotal: number;
  taxTotal: number;
  total: number;
  taxes: SalesTaxSummary[];
}

function bounded(value: bigint, field: string): number {
  if (value > BigInt(MAX_DOCUMENT_AMOUNT)) throw unprocessable(`The amount at ${field} exceeds ${MAX_DOCUMENT_AMOUNT} minor units.`, [{ field, in: 'body', message: 'amount too large' }]);
  return toSafeNumber(value);
}

/**
 * The rounding rule of every sales document, applied per line and half away from zero:
 * amount = round(quantity × unitPrice); discount = the fixed amount, or round(amount × bp / 10000);
 * net = amount − discount; tax = round(net × taxBp / 10000); total = net + tax.
 */
export function computeLine(line: PricedLine, field: string): SalesLine {
  const quantity = parseDecimal(line.quantity, QUANTITY_SCALE);
  if (quantity <= 0n) throw unprocessable('A quantity must be greater than zero.', [{ field: `${field}/quantity`, in: 'body', message: 'must be greater than zero' }]);
  const amount = divRound(quantity * BigInt(line.unitPrice), QUANTITY_ONE);
  let discountAmount = 0n;
  if (line.discount?.type === 'PERCENT') discountAmount = divRound(amount * BigInt(line.discount.basisPoints), BASIS);
  if (line.discount?.type === 'AMOUNT') discountAmount = BigInt(line.discount.amount);
  if (discountAmount > amount) {
    throw unprocessable(`The discount at ${field} is larger than the line's amount.`, [{ field: `${field}/discount`, in: 'body', message: 'larger than quantity × unitPrice' }]);
  }
  const netAmount = amount - discountAmount;
  const taxAmount = line.taxRateBasisPoints === null ? 0n : divRound(netAmount * BigInt(line.taxRateBasisPoints), BASIS);
  return {
    productId: line.productId,
    description: line.description,
    quantity: formatDecimal(quantity, QUANTITY_SCALE),
    unitPrice: line.unitPrice,
    discount: line.discount,
    amount: bounded(amount, field),
    discountAmount: toSafeNumber(discountAmount),
    netAmount: bounded(netAmount, field),
    taxRateId: line.taxRateId,
    taxRateBasisPoints: line.taxRateBasisPoints,
    taxAmount: bounded(taxAmount, field),
    total: bounded(netAmount + taxAmount, field),
    accountId: line.accountId,
  };
}

/** Document totals are the sums of the rounded line figures; the tax summary groups them per rate. */
export function computeTotals(lines: SalesLine[], taxRateNames: ReadonlyMap<string, string>): DocumentTotals {
  let subtotal = 0n;
  let discountTotal = 0n;
  let taxTotal = 0n;
  const taxes = new Map<string, SalesTaxSummary>();
  for (const line of lines) {
    subtotal += BigInt(line.amount);
    discountTotal += BigInt(line.discountAmount);
    taxTotal += BigInt(line.taxAmount);
    if (line.taxRateId === null) continue;
    const key = `${line.taxRateId}:${line.taxRateBasisPoints}`;
    const summary = taxes.get(key) ?? { taxRateId: line.taxRateId, name: taxRateNames.get(line.taxRateId) ?? line.taxRateId, basisPoints: line.taxRateBasisPoints ?? 0, taxableAmount: 0, amount: 0 };
    summary.taxableAmount += line.netAmount;
    summary.amount += line.taxAmount;
    taxes.set(key, summary);
  }
  const total = subtotal - discountTotal + taxTotal;
  return {
    subtotal: bounded(subtotal, '/lines'),
    discountTotal: toSafeNumber(discountTotal),
    taxTotal: bounded(taxTotal, '/lines'),
    total: bounded(total, '/lines'),
    taxes: [...taxes.values()],
  };
}

/**
 * Splits `amount` over `weights` in proportion, with the largest-remainder method so the parts add up
 * exactly to `amount` (used to spread a lump-sum credit over the revenue and tax an invoice posted).
 */
export function allocate(amount: number, weights: number[]): number[] {
  const totalWeight = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (totalWeight === 0n) return weights.map(() => 0);
  const exact = weights.map((w) => BigInt(amount) * BigInt(w));
  const parts = exact.map((e) => e / totalWeight);
  let remainder = BigInt(amount) - parts.reduce((s, p) => s + p, 0n);
  const order = exact.map((e, i) => ({ i, rest: e % totalWeight })).sort((a, b) => (b.rest > a.rest ? 1 : b.rest < a.rest ? -1 : a.i - b.i));
  for (const { i } of order) {
    if (remainder === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    remainder -= 1n;
  }
  return parts.map((p) => toSafeNumber(p));
}
