import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** Opaque, time-ordered ids with a type prefix: `cus_01JD3X7G2M4N6P8Q0R2S4T6V8W`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
