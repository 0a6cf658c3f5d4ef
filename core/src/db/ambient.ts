import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

/**
 * A request's unit of work. While `runInTransaction(trx, work)` runs, every query made through an ambient
 * knex (see `ambientKnex`) goes to `trx`, and a service's own `knex.transaction(...)` becomes a savepoint
 * inside it. That is how a stored idempotent response commits in the same transaction as the change it
 * answers, without every service taking a transaction argument. Outside a unit of work (or once its
 * transaction has ended) the ambient knex is the plain one.
 */
const unitOfWork = new AsyncLocalStorage<Knex.Transaction>();

/** Outermost transactions known to have committed (a unit of work's queries may then go to the root knex). */
const committed = new WeakSet<Knex.Transaction>();

function outermost(trx: Knex.Transaction): Knex.Transaction {
  let top = trx;
  while (top.parentTransaction) top = top.parentTransaction;
  return top;
}

export function runInTransaction<T>(trx: Knex.Transaction, work: () => Promise<T>): Promise<T> {
  const top = outermost(trx);
  if (typeof top.executionPromise?.then === 'function') top.executionPromise.then(() => committed.add(top), () => undefined);
  return unitOfWork.run(trx, work);
}

/**
 * The transaction of the unit of work this code runs in. Once it has committed, later work (a timer the
 * request started) gets `undefined` and runs on its own. Until then, and for good once it has rolled back or
 * lost its connection, the transaction itself: the request's remaining queries then fail with it instead of
 * escaping to a new connection and committing without the rest of the request (and without its stored answer).
 */
export function currentTransaction(): Knex.Transaction | undefined {
  const trx = unitOfWork.getStore();
  if (!trx) return undefined;
  if (!trx.isCompleted()) return trx;
  return committed.has(outermost(trx)) ? undefined : trx;
}

/**
 * Runs `work` once the current unit of work has committed (at once outside one), and never if it rolls
 * back: for what must only follow a change that is there to see, such as starting a job just queued.
 */
export function afterCommit(work: () => void): void {
  let trx = currentTransaction();
  if (!trx) return work();
  while (trx.parentTransaction) trx = trx.parentTransaction;
  // Not a knex-managed transaction (a caller's own connection): whoever commits it also starts what follows.
  if (typeof trx.executionPromise?.then !== 'function') return;
  trx.executionPromise.then(() => outsideTransaction(work), () => undefined);
}

/**
 * Runs `work` outside any unit of work: what it writes commits on its own, whatever the request around it
 * does (a refreshed OAuth token must outlive a request that fails).
 */
export function outsideTransaction<T>(work: () => T): T {
  return unitOfWork.exit(work);
}

/**
 * A knex that resolves, on every use, to the current unit of work's transaction or else to `root`. Give it
 * to the services; give `root` to what must never join a request's transaction (the relay, schedulers,
 * rate-limit counters, the stream), since timers started inside a request inherit its context.
 */
export function ambientKnex(root: Knex): Knex {
  return new Proxy(root, {
    apply(target, thisArg, args: unknown[]) {
      return Reflect.apply(currentTransaction() ?? target, thisArg, args) as unknown;
    },
    get(target, property) {
      const db = currentTransaction() ?? target;
      const value = Reflect.get(db, property, db) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(db) : value;
    },
  });
}
