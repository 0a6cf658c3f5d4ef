import { describe, expect, it } from 'vitest';
import { allocate, computeLine, computeTotals, type PricedLine } from './lines.js';

const base: PricedLine = { productId: null, description: 'x', quantity: '1', unitPrice: 0, discount: null, taxRateId: null, taxRateBasisPoints: null, accountId: 'acc_1' };
const line = (over: Partial<PricedLine>) => computeLine({ ...base, ...over }, '/lines/0');

describe('sales line arithmetic', () => {
  it('rounds quantity × price half away from zero, with up to 4 decimals of quantity', () => {
    expect(line({ quantity: '1.5', unitPrice: 333 }).amount).toBe(500); // 499.5 → 500
    expect(line({ quantity: '0.0001', unitPrice: 5000 }).amount).toBe(1); // 0.5 → 1
    expect(line({ quantity: '0.0001', unitPrice: 4999 }).amount).toBe(0); // 0.4999 → 0
    expect(line({ quantity: '2.3333', unitPrice: 1999 }).amount).toBe(4664); // 4664.2667
    expect(line({ quantity: '7.50', unitPrice: 12000 }).quantity).toBe('7.5');
  });

  it('applies percent and fixed discounts, then tax on the net, per line', () => {
    const l = line({ quantity: '7.5', unitPrice: 12000, discount: { type: 'PERCENT', basisPoints: 1000 }, taxRateId: 'txr_a', taxRateBasisPoints: 825 });
    expect(l).toMatchObject({ amount: 90000, discountAmount: 9000, netAmount: 81000, taxAmount: 6683, total: 87683 }); // 6682.5 → 6683
    const fixed = line({ quantity: '3', unitPrice: 999, discount: { type: 'AMOUNT', amount: 97 }, taxRateId: 'txr_b', taxRateBasisPoints: 2000 });
    expect(fixed).toMatchObject({ amount: 2997, discountAmount: 97, netAmount: 2900, taxAmount: 580, total: 3480 });
    const pct = line({ quantity: '1', unitPrice: 1005, discount: { type: 'PERCENT', basisPoints: 5000 } });
    expect(pct).toMatchObject({ discountAmount: 503, netAmount: 502, taxAmount: 0 }); // 502.5 → 503
  });

  it('totals are sums of rounded lines and the tax summary groups by rate (not recomputed on the sum)', () => {
    // Three lines of 0.05 tax each would be 0.15 → 0 if computed on the sum of nets at 5%: 1 × 3 lines.
    const lines = [1, 2, 3].map(() => line({ quantity: '1', unitPrice: 10, taxRateId: 'txr_5', taxRateBasisPoints: 500 }));
    const other = line({ quantity: '2', unitPrice: 1000, taxRateId: 'txr_7', taxRateBasisPoints: 700, discount: { type: 'AMOUNT', amount: 100 } });
    const totals = computeTotals([...lines, other], new Map([['txr_5', 'Five'], ['txr_7', 'Seven']]));
    expect(lines[0]?.taxAmount).toBe(1); // 0.5 → 1
    expect(totals).toEqual({
      subtotal: 2030,
      discountTotal: 100,
      taxTotal: 3 + 133,
      total: 2030 - 100 + 136,
      taxes: [
        { taxRateId: 'txr_5', name: 'Five', basisPoints: 500, taxableAmount: 30, amount: 3 },
        { taxRateId: 'txr_7', name: 'Seven', basisPoints: 700, taxableAmount: 1900, amount: 133 },
      ],
    });
  });

  it('JPY (no minor unit) uses the same rule on whole yen', () => {
    const l = line({ quantity: '3', unitPrice: 1234, taxRateId: 'txr_jp', taxRateBasisPoints: 1000 });
    expect(l).toMatchObject({ amount: 3702, taxAmount: 370, total: 4072 }); // 370.2 → 370
    expect(line({ quantity: '0.5', unitPrice: 15, taxRateId: 'txr_jp', taxRateBasisPoints: 1000 })).toMatchObject({ amount: 8, taxAmount: 1 }); // 7.5 → 8, 0.8 → 1
  });

  it('refuses a discount larger than the line and amounts beyond the bound', () => {
    expect(() => line({ quantity: '1', unitPrice: 100, discount: { type: 'AMOUNT', amount: 101 } })).toThrow(/discount/);
    expect(() => line({ quantity: '999999999', unitPrice: 100_000_000_000_000 })).toThrow(/exceeds/);
  });

  it('allocates a lump sum in proportion, parts adding up exactly', () => {
    expect(allocate(1000, [1, 1, 1])).toEqual([334, 333, 333]);
    expect(allocate(10, [81000, 6683])).toEqual([9, 1]);
    expect(allocate(87683, [81000, 6683])).toEqual([81000, 6683]);
    expect(allocate(5, [0, 0])).toEqual([0, 0]);
    const parts = allocate(99_999, [3, 7, 11, 13]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(99_999);
  });
});
