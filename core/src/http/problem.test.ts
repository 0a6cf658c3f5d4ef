import { describe, expect, it } from 'vitest';
import { DBError } from 'objection';
import { isConnectionLoss, isTransientConflict, toAppError } from './problem.js';

/** objection wraps a driver's error as `new DBError({ nativeError, client })` (its typings say otherwise). */
const wrap = (nativeError: Error): InstanceType<typeof DBError> => new (DBError as unknown as new (args: { nativeError: Error; client: string }) => InstanceType<typeof DBError>)({ nativeError, client: 'postgres' });

describe('a lost database connection', () => {
  it('is answered 503 with Retry-After, whether pg, knex or objection reports it', () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = wrap(refused);
    for (const thrown of [shutdown, refused, wrapped, new Error('Connection terminated unexpectedly'), new Error('Knex: Timeout acquiring a connection. The pool is probably full.')]) {
      const error = toAppError(thrown);
      expect(error.status, String(thrown)).toBe(503);
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.headers?.['Retry-After']).toBe('1');
    }
  });

  it('is told apart from other database errors and from bugs, which stay 500', () => {
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(isConnectionLoss(syntax)).toBe(false);
    expect(isTransientConflict(syntax)).toBe(false);
    expect(toAppError(wrap(syntax)).status).toBe(500);
    expect(toAppError(new TypeError('x is undefined')).status).toBe(500);
  });
});

describe('a transaction the database rolled back for a deadlock or a serialization failure', () => {
  it('is answered 503 with Retry-After, the request having written nothing', () => {
    for (const code of ['40P01', '40001']) {
      const error = toAppError(wrap(Object.assign(new Error('deadlock detected'), { code })));
      expect([error.status, error.code, error.headers?.['Retry-After']], code).toEqual([503, 'SERVICE_UNAVAILABLE', '1']);
    }
  });
});
