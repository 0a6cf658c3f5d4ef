import fc from 'fast-check';
import type { Context } from 'koa';
import { expect } from 'vitest';
import type { CoreServices } from '../../core/src/core.js';
import { AppError, type ErrorCode } from '../../core/src/http/errors.js';
import type { IdempotencyFaults } from '../../core/src/http/idempotency.js';
import type { ApiResponse, TestHub } from '../../core/src/testing/harness.js';

/**
 * The property test's writes, sent through the HTTP API with an Idempotency-Key and delivered the ways a
 * real network delivers them: once; twice in a row; twice at the same time; or answered by a crash after
 * the commit, or before it, and then retried with the same key. Each write must take effect exactly once,
 * and the answer the caller finally gets is the first outcome.
 */
export type Delivery = 'once' | 'duplicate' | 'concurrent' | 'crash-after-commit' | 'crash-before-commit';

export const deliveryArbitrary: fc.Arbitrary<Delivery> = fc.constantFrom('once', 'duplicate', 'concurrent', 'crash-after-commit', 'crash-before-commit');

class InjectedCrash extends Error {}

/** The hub's fault hooks, switched on per request by the `x-test-fault` header this module sends. */
export const CRASH_FAULTS: IdempotencyFaults = {
  beforeCommit(ctx: Context) {
    if (ctx.get('x-test-fault') === 'before-commit') throw new InjectedCrash('crash before commit');
  },
  afterCommit(ctx: Context) {
    if (ctx.get('x-test-fault') === 'after-commit') throw new InjectedCrash('crash after commit');
  },
};

const replayed = (res: ApiResponse): boolean => res.headers.get('idempotent-replayed') === 'true';

/** The stable part of an answer: problems carry a fresh request id on every answer. */
const outcome = (res: ApiResponse): unknown => (res.status >= 400 ? { status: res.status, code: (res.body as { code: string }).code } : { status: res.status, body: res.body });

export interface HttpWrites {
  /** How the next writes are delivered (set before each operation). */
  delivery: Delivery;
  /** How many writes were sent, by delivery. */
  tally: Map<Delivery, number>;
  services: CoreServices;
}

/** `services` with every write the books model makes replaced by its HTTP request. */
export function httpWrites(hub: TestHub, org: { id: string; apiKey: string }, services: CoreServices): HttpWrites {
  let sequence = 0;
  const state: HttpWrites = { delivery: 'once', tally: new Map(), services };

  async function deliver(path: string, body: unknown): Promise<ApiResponse> {
    const key = `books-${org.id}-${++sequence}`;
    const call = (fault?: string) =>
      hub.request('POST', `/v1/organizations/${org.id}${path}`, { token: org.apiKey, body, headers: { 'idempotency-key': key, ...(fault ? { 'x-test-fault': fault } : {}) } });
    state.tally.set(state.delivery, (state.tally.get(state.delivery) ?? 0) + 1);
    switch (state.delivery) {
      case 'once':
        return call();
      case 'duplicate': {
        const first = await call();
        const second = await call();
        expect(replayed(second), `${path}: the second delivery replays`).toBe(true);
        expect(outcome(second)).toEqual(outcome(first));
        return first;
      }
      case 'concurrent': {
        const answers = await Promise.all([call(), call()]);
        const settled = answers.filter((a) => !(a.status === 409 && (a.body as { code: string }).code === 'IDEMPOTENCY_KEY_IN_USE'));
        // One of the two ran; the other was refused while it ran, or replayed it afterwards.
        expect(settled.filter((a) => !replayed(a)), `${path}: one delivery ran`).toHaveLength(1);
        settled.forEach((a) => expect(outcome(a)).toEqual(outcome(settled[0] as ApiResponse)));
        return settled.find((a) => !replayed(a)) as ApiResponse;
      }
      case 'crash-after-commit': {
        expect((await call('after-commit')).status).toBe(500);
        const retry = await call();
        expect(replayed(retry), `${path}: the retry after a committed crash replays`).toBe(true);
        return retry;
      }
      case 'crash-before-commit': {
        expect((await call('before-commit')).status).toBe(500);
        const retry = await call();
        expect(replayed(retry), `${path}: the retry after a rolled-back crash runs`).toBe(false);
        return retry;
      }
    }
  }

  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await deliver(path, body);
    if (res.status >= 400) {
      const problem = res.body as { code: ErrorCode; detail?: string };
      throw new AppError(problem.code, problem.detail);
    }
    return res.body as T;
  }

  const { invoices, payments, creditNotes, banking } = services;
  state.services = {
    ...services,
    invoices: {
      ...invoices,
      create: (_org, input) => post('/invoices', input),
      issue: (_org, id, input) => post(`/invoices/${id}/issue`, input),
      void: (_org, id, input) => post(`/invoices/${id}/void`, input),
    },
    payments: {
      ...payments,
      create: (_org, input) => post('/payments', input),
      refund: (_org, id, input) => post(`/payments/${id}/refund`, input),
      apply: (_org, id, input) => post(`/payments/${id}/apply`, input),
      dispute: (_org, id, input) => post(`/payments/${id}/dispute`, input),
      resolveDispute: (_org, id, input) => post(`/payments/${id}/dispute/resolve`, input),
    },
    creditNotes: { ...creditNotes, create: (_org, input) => post('/credit-notes', input) },
    banking: { ...banking, reconciliation: { ...banking.reconciliation, match: (_org, id, input) => post(`/bank-transactions/${id}/match`, input) } },
  };
  return state;
}
