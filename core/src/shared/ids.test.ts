import { describe, expect, it } from 'vitest';
import { decodeTime, encodeTime } from 'ulid';
import { newId, ulid } from './ids.js';

describe('ids', () => {
  it('are prefixed ULIDs of 26 Crockford base-32 characters carrying the time', () => {
    const id = newId('inv');
    expect(id).toMatch(/^inv_[0-9A-HJKMNP-TV-Z]{26}$/);
    const time = decodeTime(id.slice(4));
    expect(Math.abs(time - Date.now())).toBeLessThan(1000);
    const later = Date.now() + 10;
    expect(ulid(later).slice(0, 10)).toBe(encodeTime(later, 10));
  });

  it('sort in creation order within one millisecond, and when the clock steps back', () => {
    const sameMs = Array.from({ length: 1000 }, () => ulid(1_800_000_000_000));
    const back = ulid(1_799_999_999_000);
    const all = [...sameMs, back];
    expect([...all].sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    expect(back.slice(0, 10)).toBe(sameMs[0]?.slice(0, 10));
  });

  it('draw different random parts in different milliseconds', () => {
    const a = ulid(1_900_000_000_000);
    const b = ulid(1_900_000_000_001);
    expect(a.slice(10)).not.toBe(b.slice(10));
    expect(b > a).toBe(true);
  });
});
