import { divRound, formatDecimal, parseDecimal } from '../shared/money.js';

/** Quantities carry up to 4 decimals (as on sales and purchase lines): 1.5 is held as 15000n. */
export const QTY_SCALE = 4;
const QTY_ONE = 10n ** BigInt(QTY_SCALE);
/** The average unit cost is kept with 6 decimals of a minor unit. */
export const AVG_SCALE = 6;
const AVG_ONE = 10n ** BigInt(AVG_SCALE);

/** A product's stock: quantity (scaled by 10^4), value at cost (minor units), last average unit cost (scaled by 10^6). */
export interface Stock {
  quantity: bigint;
  value: bigint;
  averageCost: bigint;
}

export const parseQuantity = (value: string): bigint => parseDecimal(value, QTY_SCALE);
export const formatQuantity = (value: bigint): string => formatDecimal(value, QTY_SCALE);
export const parseAverage = (value: string): bigint => parseDecimal(value, AVG_SCALE);
/** The average unit cost with all 6 decimals ("1100.000000"). */
export function formatAverage(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(AVG_SCALE + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -AVG_SCALE)}.${digits.slice(-AVG_SCALE)}`;
}

/** value ÷ quantity per unit, or the last average while nothing is on hand. */
function averageOf(quantity: bigint, value: bigint, last: bigint): bigint {
  return quantity > 0n ? divRound(value * QTY_ONE * AVG_ONE, quantity) : last;
}

/**
 * Moving average, receipt: the quantity and its cost are added; the average becomes value ÷ quantity
 * (the receipt's own unit cost while the stock is not positive).
 */
export function receive(stock: Stock, quantity: bigint, cost: bigint): Stock {
  const next = { quantity: stock.quantity + quantity, value: stock.value + cost };
  const receiptAverage = divRound(cost * QTY_ONE * AVG_ONE, quantity);
  return { ...next, averageCost: next.quantity > 0n ? averageOf(next.quantity, next.value, stock.averageCost) : receiptAverage };
}

/**
 * Moving average, issue: the cost taken out is round(value × issued ÷ on hand), half away from zero (the
 * whole value when all is issued), so the values always add up to the inventory account. What is issued
 * beyond the quantity on hand (negative stock) is costed at the last average unit cost, or `fallback`
 * (the product's unit cost, minor units) when there never was one.
 */
export function issue(stock: Stock, quantity: bigint, fallback: bigint): { cost: bigint; stock: Stock } {
  const onHand = stock.quantity > 0n ? stock.quantity : 0n;
  let cost: bigint;
  if (quantity <= onHand) {
    cost = quantity === onHand ? stock.value : divRound(stock.value * quantity, onHand);
  } else {
    const unit = stock.averageCost > 0n ? stock.averageCost : fallback * AVG_ONE;
    cost = (onHand > 0n ? stock.value : 0n) + divRound((quantity - onHand) * unit, QTY_ONE * AVG_ONE);
  }
  const next = { quantity: stock.quantity - quantity, value: stock.value - cost };
  return { cost, stock: { ...next, averageCost: averageOf(next.quantity, next.value, stock.averageCost) } };
}

/** round(quantity × unit cost) in minor units, half away from zero. */
export function valueAt(quantity: bigint, unitCostMinor: bigint): bigint {
  return divRound(quantity * unitCostMinor, QTY_ONE);
}

/** The current average unit cost in whole minor units (for valuing an adjustment up without a cost). */
export function averageMinor(stock: Stock): bigint {
  return divRound(stock.averageCost, AVG_ONE);
}
