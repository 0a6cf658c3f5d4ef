import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchLines, tokens, type BankLine, type OpenItem } from './matcher.js';

const item = (id: string, amount: number, date: string, extra: Partial<OpenItem> = {}): OpenItem => ({ kind: 'INVOICE', id, direction: 'CREDIT', amount, currency: 'EUR', date, references: [], party: null, label: id, ...extra });
const line = (id: string, amount: number, date: string, text = ''): BankLine => ({ id, amount, currency: 'EUR', date, text });

describe('matcher', () => {
  it('tokenises references the way payers write them', () => {
    expect(tokens('Pmt inv-00012 / Müller GmbH, ref: RF18 5390 0754')).toEqual(['PMT', 'INV00012', 'MULLER', 'GMBH', 'REF', 'RF18', '5390', '0754']);
  });

  it('matches an equal amount with its reference, not one of another currency or direction, and suggests the rest', () => {
    const items = [item('a', 1000, '2026-01-10', { references: ['INV-1'] }), item('b', 1000, '2026-01-10', { references: ['INV-2'] }), item('usd', 500, '2026-01-10', { currency: 'USD', references: ['INV-3'] })];
    const result = matchLines([line('x', 1000, '2026-01-12', 'payment INV-2'), line('y', 1000, '2026-01-11', 'no reference'), line('z', 500, '2026-01-10', 'INV-3'), line('d', -1000, '2026-01-10', 'INV-1')], items);
    expect(result.matches.map((m) => [m.line.id, m.item.id])).toEqual([['x', 'b']]);
    expect(result.suggestions.get('y')?.map((s) => s.item.id).sort()).toEqual(['a', 'b']);
    expect(result.suggestions.has('z')).toBe(false);
    expect(result.suggestions.has('d')).toBe(false);
  });

  it('ignores equal amounts outside the date window unless the reference is in the text', () => {
    const items = [item('far', 700, '2026-03-01', { references: ['INV-9'] })];
    expect(matchLines([line('l', 700, '2026-01-01')], items).suggestions.has('l')).toBe(false);
    expect(matchLines([line('l', 700, '2026-01-01', 'INV-9')], items).matches).toHaveLength(1);
  });

  it('never matches one item twice nor below the threshold, whatever the lines and items', () => {
    const arbItem = fc.record({ id: fc.integer({ min: 0, max: 30 }), amount: fc.integer({ min: 1, max: 5 }), day: fc.integer({ min: 1, max: 20 }), ref: fc.boolean() });
    const arbLine = fc.record({ amount: fc.integer({ min: -5, max: 5 }), day: fc.integer({ min: 1, max: 20 }), ref: fc.integer({ min: 0, max: 30 }) });
    fc.assert(fc.property(fc.uniqueArray(arbItem, { selector: (i) => i.id, maxLength: 20 }), fc.array(arbLine, { maxLength: 30 }), (rawItems, rawLines) => {
      const items = rawItems.map((i) => item(`i${i.id}`, i.amount, `2026-01-${String(i.day).padStart(2, '0')}`, { references: i.ref ? [`REF-${i.id}`] : [] }));
      const lines = rawLines.map((l, n) => line(`l${n}`, l.amount, `2026-01-${String(l.day).padStart(2, '0')}`, `REF-${l.ref}`));
      const { matches } = matchLines(lines, items);
      expect(new Set(matches.map((m) => m.item.id)).size).toBe(matches.length);
      for (const m of matches) {
        expect(m.score).toBeGreaterThanOrEqual(0.8);
        expect(Math.abs(m.line.amount)).toBe(m.item.amount);
      }
    }));
  });
});
