import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type ApiResponse, type TestHub } from '../testing/harness.js';

/**
 * Group commit of API postings: concurrent postings share a transaction, sent in one round trip. Each
 * request's outcome must still be its own: an accepted entry is in the database (with its events and
 * balances) by the time it is answered, a refused one writes nothing, whatever its neighbours in the group
 * did, and a group whose COMMIT fails answers none of its members with success.
 */

const CODES = ['1000', '1050', '4100', '6900'];
/** A line with this description is refused by the database itself (a trigger of this test's database). */
const REFUSED_IN_DATABASE = 'refuse-in-database';

type Kind = 'valid' | 'unbalanced' | 'refusedInDatabase' | 'keyed';
interface Posting {
  kind: Kind;
  debit: string;
  credit: string;
  amount: number;
}

const posting = fc.record({
  kind: fc.constantFrom<Kind>('valid', 'valid', 'valid', 'unbalanced', 'refusedInDatabase', 'keyed'),
  debit: fc.constantFrom(...CODES),
  credit: fc.constantFrom(...CODES),
  amount: fc.integer({ min: 1, max: 1_000_000 }),
}).filter((p) => p.debit !== p.credit);

function bodyOf(p: Posting, memo: string) {
  return {
    date: '2026-06-30',
    currency: 'USD',
    memo,
    lines: [
      { accountCode: p.debit, direction: 'DEBIT', amount: p.amount, ...(p.kind === 'refusedInDatabase' ? { description: REFUSED_IN_DATABASE } : {}) },
      { accountCode: p.credit, direction: 'CREDIT', amount: p.kind === 'unbalanced' ? p.amount + 1 : p.amount },
    ],
  };
}

async function refuseInDatabase(hub: TestHub): Promise<void> {
  await hub.db.knex.raw(`
    CREATE FUNCTION test_refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.description = '${REFUSED_IN_DATABASE}' THEN
        RAISE EXCEPTION 'line refused by the test trigger' USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
      END IF;
      RETURN NEW;
    END $$`);
  await hub.db.knex.raw('CREATE TRIGGER test_refuse_line BEFORE INSERT ON journal_lines FOR EACH ROW EXECUTE FUNCTION test_refuse_line()');
}

describe('group commit of postings', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  /** Connections of its own, outside the hub's pool: what they see is committed. */
  let observer: pg.Pool;
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;

  beforeAll(async () => {
    hub = await createTestHub({ groupCommit: { enabled: true } });
    org = await hub.createOrganization('Grouped Ltd', 'USD');
    await refuseInDatabase(hub);
    observer = new pg.Pool({ connectionString: hub.db.url, max: 4 });
  });
  afterAll(async () => {
    await observer.end();
    await hub.close();
  });

  const committed = async (entryId: string): Promise<boolean> => (await observer.query('SELECT 1 FROM journal_entries WHERE id = $1', [entryId])).rowCount === 1;

  it('gives every request of a concurrent mix its own outcome; accepted ones are committed when answered, refused ones write nothing', async () => {
    const accepted = new Map<string, number>(CODES.map((c) => [c, 0]));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(posting, { minLength: 10, maxLength: 40 }), async (postings) => {
        round += 1;
        const run = `${round}-${randomBytes(4).toString('hex')}`;
        const sent = postings.flatMap((p, i) => {
          const memo = `gc ${run} ${i}`;
          const request = (): Promise<ApiResponse & { visibleAtAnswer: boolean }> =>
            hub
              .request('POST', path('/journal-entries'), { body: bodyOf(p, memo), ...(p.kind === 'keyed' ? { headers: { 'idempotency-key': `key-${run}-${i}` } } : {}) })
              .then(async (res) => ({ ...res, visibleAtAnswer: res.status === 201 && (await committed(res.body.id as string)) }));
          // A keyed request is sent twice at once: it must be written once.
          return (p.kind === 'keyed' ? [request(), request()] : [request()]).map((answer) => ({ p, memo, answer }));
        });
        const answers = await Promise.all(sent.map(async (s) => ({ ...s, res: await s.answer })));

        for (const { p, memo, res } of answers) {
          if (p.kind === 'valid') {
            expect(res.status, memo).toBe(201);
            expect(res.visibleAtAnswer, memo).toBe(true);
          } else if (p.kind === 'unbalanced' || p.kind === 'refusedInDatabase') {
            expect(res.status, memo).toBe(422);
            expect(res.body.code, memo).toBe('UNBALANCED_ENTRY');
          } else {
            expect([201, 409], memo).toContain(res.status);
            if (res.status === 201) expect(res.visibleAtAnswer, memo).toBe(true);
          }
        }
        const rows = (await observer.query<{ memo: string; id: string; lines: number }>(
          `SELECT e.memo, e.id, (SELECT count(*)::int FROM journal_lines l WHERE l.entry_id = e.id) AS lines FROM journal_entries e WHERE e.memo LIKE $1`,
          [`gc ${run} %`],
        )).rows;
        const written = new Map(rows.map((r) => [r.memo, r]));
        for (const [i, p] of postings.entries()) {
          const memo = `gc ${run} ${i}`;
          const row = written.get(memo);
          const mine = answers.filter((a) => a.memo === memo);
          if (p.kind === 'valid' || p.kind === 'keyed') {
            expect(row, memo).toBeDefined();
            expect(row?.lines, memo).toBe(2);
            // A keyed request and its duplicate: one entry, and whoever got 201 got that one.
            expect(rows.filter((r) => r.memo === memo)).toHaveLength(1);
            for (const a of mine.filter((m) => m.res.status === 201)) expect(a.res.body.id, memo).toBe(row?.id);
            expect(mine.some((m) => m.res.status === 201), memo).toBe(true);
            accepted.set(p.debit, (accepted.get(p.debit) ?? 0) + p.amount);
            accepted.set(p.credit, (accepted.get(p.credit) ?? 0) - p.amount);
          } else {
            expect(row, memo).toBeUndefined();
          }
        }
        // Each accepted entry has its journal_entry.created event and one balance event per account.
        const ids = rows.map((r) => r.id);
        const events = (await observer.query<{ type: string; entry: string }>(
          `SELECT type, COALESCE(data -> 'object' ->> 'entryId', aggregate_id) AS entry FROM events
            WHERE (type = 'journal_entry.created' AND aggregate_id = ANY($1)) OR (type = 'account.balance_changed' AND data -> 'object' ->> 'entryId' = ANY($1))`,
          [ids],
        )).rows;
        for (const id of ids) {
          expect(events.filter((e) => e.entry === id && e.type === 'journal_entry.created'), id).toHaveLength(1);
          expect(events.filter((e) => e.entry === id && e.type === 'account.balance_changed'), id).toHaveLength(2);
        }
      }),
      { numRuns: 5 },
    );

    // Cached balances, the lines and the balance events all agree with what was accepted.
    const balances = (await observer.query<{ code: string; cached: string | null; lines: string | null; last_event: string | null }>(
      `SELECT a.code, b.balance AS cached,
              (SELECT sum(CASE WHEN l.direction = 'DEBIT' THEN l.amount ELSE -l.amount END) FROM journal_lines l WHERE l.account_id = a.id) AS lines,
              (SELECT e.data -> 'object' ->> 'balance' FROM events e WHERE e.aggregate_id = a.id AND e.type = 'account.balance_changed' ORDER BY e.version DESC LIMIT 1) AS last_event
         FROM accounts a LEFT JOIN account_balances b ON b.account_id = a.id WHERE a.organization_id = $1 AND a.code = ANY($2)`,
      [org.id, CODES],
    )).rows;
    for (const b of balances) {
      const expected = accepted.get(b.code) ?? 0;
      expect(Number(b.cached ?? 0), b.code).toBe(expected);
      expect(Number(b.lines ?? 0), b.code).toBe(expected);
      expect(Number(b.last_event ?? 0), b.code).toBe(expected);
    }
    // Each account's balance events are one chain in the order of the event log: versions 1, 2, 3, ... and
    // each event starts from the balance the one before it ended at (entries of one group share accounts).
    const chain = (await observer.query<{ account: string; version: number; balance: string; previous: string }>(
      `SELECT aggregate_id AS account, version, data -> 'object' ->> 'balance' AS balance, data -> 'object' ->> 'previousBalance' AS previous
         FROM events WHERE type = 'account.balance_changed' AND organization_id = $1 ORDER BY aggregate_id, seq`,
      [org.id],
    )).rows;
    expect(chain.length).toBeGreaterThan(0);
    for (const [i, event] of chain.entries()) {
      const before = chain[i - 1]?.account === event.account ? chain[i - 1] : undefined;
      expect(event.version, `${event.account} v${event.version}`).toBe((before?.version ?? 0) + 1);
      expect(Number(event.previous), `${event.account} v${event.version}`).toBe(Number(before?.balance ?? 0));
    }
    // The postings were in fact grouped: some group had more than one member.
    const stats = hub.core.groupCommit.stats();
    expect(stats.members).toBeGreaterThan(stats.groups);
    // Groups went out as one statement, and some of those failed on a refused member and went again one by one.
    expect(stats.merged).toBeGreaterThan(0);
    expect(stats.split).toBeGreaterThan(0);
  }, 180_000);
});

describe('group commit when the COMMIT fails', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  let failCommits = false;
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;

  beforeAll(async () => {
    hub = await createTestHub({
      groupCommit: {
        enabled: true,
        // Every posting waits for a group, and every group, even of one posting, goes through the shared COMMIT.
        alone: 0,
        aloneWhenSingle: false,
        faults: {
          // A deferred check that fails at COMMIT: an entry without lines, written last in the group.
          async beforeCommit(query) {
            if (!failCommits) return;
            await query('SET CONSTRAINTS ALL DEFERRED');
            await query(`INSERT INTO journal_entries (id, organization_id, number, date, currency)
                         VALUES ('je_lone${randomBytes(6).toString('hex')}', '${org.id}', -${1 + Math.floor(Math.random() * 1e9)}, '2026-06-30', 'USD')`);
          },
        },
      },
    });
    org = await hub.createOrganization('Failing Commit Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('answers no member of the group with success, and writes none of them', async () => {
    const body = (i: number) => ({ date: '2026-06-30', currency: 'USD', memo: `doomed ${i}`, lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 100 + i }, { accountCode: '4100', direction: 'CREDIT', amount: 100 + i }] });
    failCommits = true;
    const before = hub.core.groupCommit.stats();
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => hub.request('POST', path('/journal-entries'), { body: body(i) })));
    failCommits = false;
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    for (const a of answers) expect(a.body.code).toBe('SERVICE_UNAVAILABLE');
    const after = hub.core.groupCommit.stats();
    expect(after.members - before.members).toBe(16);
    expect(after.groups - before.groups).toBeLessThan(16);

    const written = await hub.db.knex('journal_entries').where({ organizationId: org.id }).count<Array<{ count: string | number }>>({ count: '*' });
    expect(Number(written[0]?.count)).toBe(0);
    const balances = await hub.db.knex('account_balances').where({ organizationId: org.id }).whereNot('balance', 0);
    expect(balances).toHaveLength(0);
    const events = await hub.db.knex('events').where({ organizationId: org.id }).whereIn('type', ['journal_entry.created', 'account.balance_changed']);
    expect(events).toHaveLength(0);

    // The next group commits as usual.
    const ok = await hub.request('POST', path('/journal-entries'), { body: body(99) });
    expect(ok.status).toBe(201);
    const accounts = (await hub.request('GET', path('/accounts?limit=100'))).body.data as Array<{ code: string; balance: number }>;
    expect(accounts.find((a) => a.code === '1000')?.balance).toBe(199);
  });
});

describe('group commit of postings in several currencies', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };

  beforeAll(async () => {
    hub = await createTestHub({ groupCommit: { enabled: true } });
    org = await hub.createOrganization('Two Currencies Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it("keeps each account's balances per currency and its event chain exact when a group's entries share accounts", async () => {
    const before = hub.core.groupCommit.stats();
    const body = (i: number) => ({
      date: '2026-06-30',
      currency: i % 2 ? 'EUR' : 'USD',
      ...(i % 2 ? { exchangeRate: '1.1' } : {}),
      memo: `fx ${i}`,
      lines: [
        { accountCode: CODES[i % 3] as string, direction: 'DEBIT', amount: 1000 + i },
        { accountCode: '6900', direction: 'CREDIT', amount: 1000 + i },
      ],
    });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => hub.request('POST', `/v1/organizations/${org.id}/journal-entries`, { body: body(i) })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(hub.core.groupCommit.stats().merged).toBeGreaterThan(before.merged);

    const { knex } = hub.db;
    const accounts = (await knex.raw<{ rows: Array<{ id: string; code: string; balance: string; currency_balances: Record<string, number> }> }>(
      `SELECT a.id, a.code, b.balance, b.currency_balances FROM accounts a JOIN account_balances b ON b.account_id = a.id
        WHERE a.organization_id = ? AND a.code = ANY(?)`,
      [org.id, CODES],
    )).rows;
    for (const account of accounts) {
      // The cached balances, in base and in each currency, are the sums of the account's lines.
      const sums = (await knex.raw<{ rows: Array<{ currency: string; amount: string; base: string }> }>(
        `SELECT currency, sum(CASE WHEN direction = 'DEBIT' THEN amount ELSE -amount END) AS amount,
                sum(CASE WHEN direction = 'DEBIT' THEN base_amount ELSE -base_amount END) AS base
           FROM journal_lines WHERE account_id = ? GROUP BY currency`,
        [account.id],
      )).rows;
      expect(Number(account.balance), account.code).toBe(sums.reduce((s, r) => s + Number(r.base), 0));
      for (const sum of sums) expect(account.currency_balances[sum.currency], `${account.code} ${sum.currency}`).toBe(Number(sum.amount));
      // Its events, in log order: versions 1, 2, 3, ..., and per currency each one starts where the one before ended.
      const events = (await knex.raw<{ rows: Array<{ version: number; currency: string; balance: string; previous: string }> }>(
        `SELECT version, data -> 'object' ->> 'currency' AS currency, data -> 'object' ->> 'balance' AS balance, data -> 'object' ->> 'previousBalance' AS previous
           FROM events WHERE type = 'account.balance_changed' AND aggregate_id = ? ORDER BY seq`,
        [account.id],
      )).rows;
      expect(events.map((e) => e.version), account.code).toEqual(events.map((_, i) => i + 1));
      const last = new Map<string, number>();
      for (const event of events) {
        expect(Number(event.previous), `${account.code} v${event.version}`).toBe(last.get(event.currency) ?? 0);
        last.set(event.currency, Number(event.balance));
      }
      for (const [currency, balance] of last) expect(balance, `${account.code} ${currency}`).toBe(account.currency_balances[currency]);
    }
  });
});
