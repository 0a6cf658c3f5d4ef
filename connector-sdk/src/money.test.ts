import { describe, expect, it } from 'vitest';
import { decimalQuantity, decimalToMinor, minorToDecimal } from './money.js';

describe('amounts at the provider boundary', () => {
  it('turn minor units into decimals and back by the currency, without binary fractions', () => {
    expect([minorToDecimal(4990, 'USD'), minorToDecimal(5, 'USD'), minorToDecimal(1500, 'JPY'), minorToDecimal(1234, 'BHD'), minorToDecimal(-250, 'EUR')]).toEqual([49.9, 0.05, 1500, 1.234, -2.5]);
    expect([decimalToMinor(49.9, 'USD'), decimalToMinor(0.07, 'USD'), decimalToMinor('12.34', 'USD'), decimalToMinor(1500, 'JPY'), decimalToMinor(1.005, 'BHD'), decimalToMinor('12.300', 'USD')]).toEqual([4990, 7, 1234, 1500, 1005, 1230]);
    expect(() => decimalToMinor('1.005', 'USD')).toThrow(/decimals/);
    expect(() => decimalToMinor('abc', 'USD')).toThrow(/not an amount/);
    expect(() => minorToDecimal(1, 'XXQ')).toThrow(/ISO 4217/);
    expect([decimalQuantity(2), decimalQuantity('2.5'), decimalQuantity(undefined), decimalQuantity(0.01255)]).toEqual(['2', '2.5', '1', '0.0126']);
  });
});
