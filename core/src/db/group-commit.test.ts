import type { Knex } from 'knex';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../testing/database.js';
import { createGroupCommit, refusedByDatabase, type GroupStatement } from './group-commit.js';

/**
 * How a group sent as one statement is written and what its failures mean, on a scripted connection: the
 * database's own behaviour is tested against PostgreSQL in ledger/group-commit.test.ts; here, which
 * statements go out, and what each member is told when the statement is refused or its connection fails.
 */

interface Sent {
  text: string;
  values: unknown[];
  settle(outcome: { rows: unknown[] } | Error): void;
}

/** A knex whose pool hands out one scripted connection (counting how often, and its pipeline mode): every query waits until the test settles it. */
function scripted() {
  const sent: Sent[] = [];
  const connection = {
    query(config: string | { text: string; values?: unknown[] }) {
      const { text, values = [] } = typeof config === 'string' ? { text: config } : config;
      return new Promise<{ rows: unknown[] }>((resolve, reject) => {
        if (text === 'ROLLBACK') return resolve({ rows: [] });
        sent.push({ text, values, settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)) });
      });
    },
  };
  const connections = { acquired: 0, released: 0, pipelined: false };
  Object.defineProperty(connection, 'pipeline', { get: () => connections.pipelined, set: (on: boolean) => void (connections.pipelined = on) });
  const knex = {
    client: {
      acquireConnection: async () => {
        connections.acquired += 1;
        return connection;
      },
      releaseConnection: async () => {
        connections.released += 1;
      },
    },
  } as unknown as Knex;
  return { knex, sent, connections };
}

/** A posting-like statement: every parameter a JSON array, its rows keyed by `batch`. */
function statement(key: string): GroupStatement {
  return { name: 'post', text: 'SELECT post($1)', values: [JSON.stringify([{ key }])], keys: [`acct_${key}`], batch: key };
}

const tick = () => new Promise((r) => setImmediate(r));

function databaseError(code: string, message: string): Error {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'ERROR';
  return error;
}

/** Starts a group of one (sent alone) and queues `keys` behind it, then lets the first one commit: the queued ones go out as one group. */
async function groupBehindOne(keys: string[]) {
  const { knex, sent } = scripted();
  const group = createGroupCommit(knex, { enabled: true });
  const first = group.run(statement('a'));
  await tick();
  const rest = keys.map((k) => group.run<{ key: string }>(statement(k)).then((rows) => ({ ok: true as const, rows }), (error: unknown) => ({ ok: false as const, error })));
  sent[0]?.settle({ rows: [{ key: 'a' }] });
  await first;
  await tick();
  return { group, sent, rest };
}

describe('a group sent as one statement', () => {
  it('goes out alone, in autocommit, with every member\'s parameters, and answers each member with its own rows', async () => {
    const { sent, rest } = await groupBehindOne(['b', 'c']);
    expect(sent).toHaveLength(2);
    const one = sent[1] as Sent;
    expect(one.text).toBe('SELECT post($1)');
    expect(JSON.parse(one.values[0] as string)).toEqual([{ key: 'b' }, { key: 'c' }]);
    one.settle({ rows: [{ key: 'c', n: 2 }, { key: 'b', n: 1 }] });
    expect(await Promise.all(rest)).toEqual([{ ok: true, rows: [{ key: 'b', n: 1 }] }, { ok: true, rows: [{ key: 'c', n: 2 }] }]);
    // No BEGIN, COMMIT or lock statement went out.
    expect(sent.map((s) => s.text)).toEqual(['SELECT post($1)', 'SELECT post($1)']);
  });

  it('sends each member again on its own when the database refuses the statement, so that only the one at fault gets the error', async () => {
    const { group, sent, rest } = await groupBehindOne(['b', 'c']);
    (sent[1] as Sent).settle(databaseError('23514', 'journal entry does not balance'));
    await tick();
    // The next group: the two members, each with its own statement, in one transaction.
    expect(sent.slice(2).map((s) => s.text)).toEqual(['BEGIN; SET CONSTRAINTS ALL IMMEDIATE', 'SELECT post($1)', 'SELECT post($1)', 'COMMIT']);
    expect(sent.slice(3, 5).map((s) => JSON.parse(s.values[0] as string))).toEqual([[{ key: 'b' }], [{ key: 'c' }]]);
    // b is at fault; the database refuses what follows it, and the COMMIT rolls back.
    (sent[2] as Sent).settle({ rows: [] });
    (sent[3] as Sent).settle(databaseError('23514', 'journal entry does not balance'));
    (sent[4] as Sent).settle(databaseError('25P02', 'current transaction is aborted'));
    (sent[5] as Sent).settle(Object.assign({ rows: [] }, { command: 'ROLLBACK' }));
    await tick();
    // c goes again, alone, and commits.
    expect(sent).toHaveLength(7);
    (sent[6] as Sent).settle({ rows: [{ key: 'c', n: 1 }] });
    const [b, c] = await Promise.all(rest);
    expect(b).toMatchObject({ ok: false, error: { code: '23514' } });
    expect(c).toEqual({ ok: true, rows: [{ key: 'c', n: 1 }] });
    expect(group.stats().split).toBe(1);
  });

  it('answers every member 503 and writes none of them again when its connection fails, since it may have committed', async () => {
    const { group, sent, rest } = await groupBehindOne(['b', 'c']);
    (sent[1] as Sent).settle(new Error('Connection terminated unexpectedly'));
    const outcomes = await Promise.all(rest);
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      expect((outcome as { error: { code?: string; status?: number } }).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    }
    await tick();
    expect(sent).toHaveLength(2);
    expect(group.stats().split).toBe(0);
  });
});

describe('the next group', () => {
  it('goes out before the members of the group just written are answered, so the database is not idle while they are', async () => {
    const { knex, sent } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    const sentWhenAnswered: number[] = [];
    const first = group.run(statement('a')).then(() => sentWhenAnswered.push(sent.length));
    await tick();
    // One waiting is not enough to go out behind a: it waits for a's answer.
    const second = group.run(statement('b')).then(() => sentWhenAnswered.push(sent.length));
    await tick();
    expect(sent).toHaveLength(1);
    (sent[0] as Sent).settle({ rows: [{ key: 'a' }] });
    await first;
    // a's caller was answered with b already sent.
    expect(sentWhenAnswered).toEqual([2]);
    (sent[1] as Sent).settle({ rows: [{ key: 'b' }] });
    await second;
    expect(sentWhenAnswered).toEqual([2, 2]);
  });

  it('goes out behind the statement being written, on its connection, once as many wait as it holds, and the connection goes back when both are answered', async () => {
    const { knex, sent, connections } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    const first = group.run(statement('a'));
    await tick();
    const rest = ['b', 'c'].map((k) => group.run<{ key: string }>(statement(k)));
    await tick();
    // b and c left as one statement before a was answered, on the connection a is written on.
    expect(sent).toHaveLength(2);
    expect(JSON.parse((sent[1] as Sent).values[0] as string)).toEqual([{ key: 'b' }, { key: 'c' }]);
    expect(connections.acquired).toBe(1);
    expect(connections.pipelined).toBe(true);
    (sent[0] as Sent).settle({ rows: [{ key: 'a' }] });
    await first;
    expect(connections.released).toBe(0);
    (sent[1] as Sent).settle({ rows: [{ key: 'b' }, { key: 'c' }] });
    expect(await Promise.all(rest)).toEqual([[{ key: 'b' }], [{ key: 'c' }]]);
    await tick();
    expect(connections.released).toBe(1);
    expect(connections.pipelined).toBe(false);
  });

  it('keeps its own outcome when the database refuses the statement ahead of it', async () => {
    const { knex, sent } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    const first = group.run(statement('a')).then(() => 'written', (error: { code?: string }) => error.code);
    await tick();
    const rest = ['b', 'c'].map((k) => group.run<{ key: string }>(statement(k)));
    await tick();
    (sent[0] as Sent).settle(databaseError('23514', 'journal entry does not balance'));
    expect(await first).toBe('23514');
    (sent[1] as Sent).settle({ rows: [{ key: 'b' }, { key: 'c' }] });
    expect(await Promise.all(rest)).toEqual([[{ key: 'b' }], [{ key: 'c' }]]);
    expect(sent).toHaveLength(2);
  });

  it('does not go out behind another when its members\' parameters cannot be joined into one statement, and each member is still written', async () => {
    const { knex, sent } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    const first = group.run(statement('a'));
    await tick();
    // A batch statement whose parameter is not a JSON array cannot be concatenated with another's.
    const unjoinable = (key: string): GroupStatement => ({ ...statement(key), values: [key] });
    const rest = ['b', 'c'].map((k) => group.run<{ key: string }>(unjoinable(k)));
    await tick();
    expect(sent).toHaveLength(1);
    (sent[0] as Sent).settle({ rows: [{ key: 'a' }] });
    await first;
    await tick();
    // b and c go out as their own statements in one transaction once a is answered.
    expect(sent.slice(1).map((s) => s.values)).toEqual([[], ['b'], ['c'], []]);
    const answers = [{ rows: [] }, { rows: [{ key: 'b' }] }, { rows: [{ key: 'c' }] }, { rows: [], command: 'COMMIT' }];
    for (const [i, s] of sent.slice(1).entries()) s.settle(answers[i] as { rows: unknown[] });
    expect(await Promise.all(rest)).toEqual([[{ key: 'b' }], [{ key: 'c' }]]);
  });

  it('is answered 503 and not written again when the connection fails under both', async () => {
    const { knex, sent } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    const first = group.run(statement('a')).then(() => undefined, (error: { status?: number }) => error.status);
    await tick();
    const rest = ['b', 'c'].map((k) => group.run(statement(k)).then(() => undefined, (error: { status?: number }) => error.status));
    await tick();
    (sent[0] as Sent).settle(new Error('Connection terminated unexpectedly'));
    (sent[1] as Sent).settle(new Error('Connection terminated unexpectedly'));
    // The statement ahead, a group of one, too: whether it committed is not known either.
    expect(await first).toBe(503);
    expect(await Promise.all(rest)).toEqual([503, 503]);
    await tick();
    expect(sent).toHaveLength(2);
  });
});

describe('refusedByDatabase', () => {
  it('tells an error the database answered from a failure of the connection', () => {
    expect(refusedByDatabase(databaseError('23505', 'duplicate key'))).toBe(true);
    expect(refusedByDatabase(Object.assign(new Error('terminating connection due to administrator command'), { severity: 'FATAL', code: '57P01' }))).toBe(true);
    expect(refusedByDatabase(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(refusedByDatabase(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(false);
    expect(refusedByDatabase(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
    expect(refusedByDatabase(undefined)).toBe(false);
  });
});

describe('a group of statements in one transaction', () => {
  it('answers every member 503 and writes none of them again when a statement fails with no answer from the database', async () => {
    const { knex, sent } = scripted();
    const group = createGroupCommit(knex, { enabled: true });
    // Statements that cannot go out as one: each member's own, between BEGIN and COMMIT.
    const own = (key: string): GroupStatement => ({ name: `own_${key}`, text: `SELECT own('${key}')`, values: [], keys: [`k_${key}`] });
    const first = group.run(own('a'));
    await tick();
    const rest = ['b', 'c'].map((k) => group.run(own(k)).then(() => 'written', (error: { code?: string }) => error.code));
    sent[0]?.settle({ rows: [] });
    await first;
    await tick();
    expect(sent.slice(1).map((s) => s.text)).toEqual(['BEGIN; SET CONSTRAINTS ALL IMMEDIATE', "SELECT own('b')", "SELECT own('c')", 'COMMIT']);
    (sent[1] as Sent).settle({ rows: [] });
    (sent[2] as Sent).settle(new Error('Connection terminated unexpectedly'));
    (sent[3] as Sent).settle(new Error('Connection terminated unexpectedly'));
    (sent[4] as Sent).settle(new Error('Connection terminated unexpectedly'));
    expect(await Promise.all(rest)).toEqual(['SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
    await tick();
    expect(sent).toHaveLength(5);
  });
});

describe('a group behind another on PostgreSQL', () => {
  it('is written and answered after the statement ahead of it is refused on the same connection, which is then as good as new', async () => {
    const db = await createTestDatabase({ poolMax: 2, upTo: '0001' });
    try {
      const group = createGroupCommit(db.knex, { enabled: true });
      /** A batch statement: its rows are its parameter's keys; `slow` first sleeps, `refuse` divides by zero. */
      const keyed = (key: string, how: 'slow' | 'refuse' | 'plain' = 'plain'): GroupStatement => ({
        name: `keys_${how}`,
        text: `SELECT x.key, ${how === 'refuse' ? '1 / 0' : how === 'slow' ? '(SELECT 1 FROM pg_sleep(0.3))' : '1'} AS n FROM jsonb_to_recordset($1::jsonb) AS x(key text)`,
        values: [JSON.stringify([{ key }])],
        keys: [`k_${key}`],
        batch: key,
      });
      const first = group.run(keyed('a', 'refuse')).then(() => 'written', (error: { code?: string }) => error.code);
      const behind = ['b', 'c'].map((k) => group.run<{ key: string }>(keyed(k)));
      expect(await first).toBe('22012');
      expect((await Promise.all(behind)).map((rows) => rows.map((r) => r.key))).toEqual([['b'], ['c']]);
      // b and c went out behind a, on its connection, before a was refused.
      expect(group.stats()).toMatchObject({ groups: 2, members: 3, merged: 1, split: 0, behind: 1 });
      // The connection went back to the pool out of pipeline mode and serves a transaction as before.
      await db.knex.transaction(async (trx) => {
        expect((await trx.raw('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      });
      const slow = group.run(keyed('d', 'slow'));
      const after = ['e', 'f'].map((k) => group.run<{ key: string }>(keyed(k)));
      await slow;
      expect((await Promise.all(after)).flat().map((r) => r.key)).toEqual(['e', 'f']);
      expect(group.stats()).toMatchObject({ groups: 4, merged: 2, behind: 2 });
    } finally {
      await db.close();
    }
  });
});
