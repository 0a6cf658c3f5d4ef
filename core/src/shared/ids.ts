import { randomFillSync } from 'node:crypto';
import { monotonicFactory, type ULIDFactory } from 'ulid';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/**
 * The `ulid` package asks its random source once per character (16 times an id). Its default source
 * makes one OS call each time, which was the largest cost of a posting; this one serves cryptographic
 * random bytes from a pool refilled 4 KB at a time. A byte / 256 is uniform over the 32 symbols.
 */
function pooledRandom(): number {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return (pool[offset++] ?? 0) / 256;
}

/**
 * Monotonic ULIDs (https://github.com/ulid/spec): within one millisecond, or when the clock steps back,
 * the last id's random part is incremented, so the ids of one process sort in creation order.
 */
export const ulid: ULIDFactory = monotonicFactory(pooledRandom);

/** Opaque, time-ordered ids with a type prefix: `cus_01JD3X7G2M4N6P8Q0R2S4T6V8W`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
