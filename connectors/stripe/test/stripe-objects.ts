import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Stripe's objects as the emulator answers them, each built from the sample object of its type in
 * Stripe's published fixtures (`fixtures3.json` of stripe/openapi), so every field Stripe documents is
 * there with Stripe's shape, and only the fields the emulator tracks are changed.
 */
export const FIXTURES_PATH = resolve(import.meta.dirname, '../../../../shared/fixtures/providers/stripe/fixtures3.json');
export type StripeObject = Record<string, unknown> & { id: string; object: string };

let fixtures: Record<string, Record<string, unknown>> | undefined;
export function fixtureOf(type: string): Record<string, unknown> {
  fixtures ??= (JSON.parse(readFileSync(FIXTURES_PATH, 'utf8')) as { resources: Record<string, Record<string, unknown>> }).resources;
  const sample = fixtures[type];
  if (!sample) throw new Error(`no Stripe fixture for ${type}`);
  return sample;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** An id with Stripe's prefix and 24 alphanumerics, as Stripe's own look (`pi_3Nxyz…`). */
export function stripeId(prefix: string): string {
  return `${prefix}_${[...randomBytes(24)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

export const now = (): number => Math.floor(Date.now() / 1000);

/** A copy of the sample object of `type` with `fields` put over it. */
export function build(type: string, fields: Record<string, unknown>): StripeObject {
  return { ...structuredClone(fixtureOf(type)), created: now(), livemode: false, metadata: {}, ...fields } as unknown as StripeObject;
}

/** Stripe's zero-decimal currencies (amounts in whole units) and three-decimal ones (thousandths ending in 0). */
export const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
export const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
/** Zero-decimal in ISO, charged by Stripe with two decimals in multiples of 100. */
export const WHOLE_HUNDREDS = new Set(['isk', 'ugx']);

/** Stripe's processing fee in the emulator: 2.9 % plus 30 of the minor unit (none on zero-decimal currencies). */
export function feeOf(amount: number, currency: string): number {
  const fixed = ZERO_DECIMAL.has(currency) ? 0 : 30;
  const fee = Math.round(amount * 0.029) + fixed;
  return THREE_DECIMAL.has(currency) ? Math.round(fee / 10) * 10 : fee;
}

/** Why Stripe would refuse to charge this amount in this currency, if it would. */
export function amountProblem(amount: unknown, currency: string): string | undefined {
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1) return 'amount must be a positive integer';
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) return `${currency.toUpperCase()} amounts must be rounded to the nearest ten (the last digit 0)`;
  if (WHOLE_HUNDREDS.has(currency) && amount % 100 !== 0) return `${currency.toUpperCase()} amounts must be divisible by 100`;
  return undefined;
}

/** A Stripe list envelope. */
export function list(url: string, data: StripeObject[], hasMore = false): Record<string, unknown> {
  return { object: 'list', data, has_more: hasMore, url };
}
