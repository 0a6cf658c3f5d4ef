import { describe, expect, it } from 'vitest';
import { convertMinor, divRound, formatDecimal, formatMinor, parseDecimal } from './money.js';

describe('money', () => {
  it('rounds half away from zero', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(divRound(-4n, 3n)).toBe(-1n);
  });
  it('parses and formats decimals exactly', () => {
    expect(parseDecimal('1.2345', 4)).toBe(12345n);
    expect(parseDecimal('2', 4)).toBe(20000n);
    expect(() => parseDecimal('1.23456', 4)).toThrow(/decimals/);
    expect(() => parseDecimal('1e3', 4)).toThrow();
    expect(formatDecimal(15000n, 4)).toBe('1.5');
    expect(formatDecimal(-5n, 4)).toBe('-0.0005');
  });
  it('formats minor units with the currency exponent', () => {
    expect(formatMinor(123456, 'USD')).toBe('1234.56');
    expect(formatMinor(-5, 'USD')).toBe('-0.05');
    expect(formatMinor(500, 'JPY')).toBe('500');
    expect(formatMinor(1234, 'KWD')).toBe('1.234');
  });
  it('converts across exponents at a decimal rate', () => {
    expect(convertMinor(10000, 'EUR', 'USD', '1.0845')).toBe(10845);
    expect(convertMinor(10000, 'USD', 'JPY', '151.237')).toBe(15124);
    expect(convertMinor(1000, 'JPY', 'USD', '0.006612')).toBe(661);
  });
});
