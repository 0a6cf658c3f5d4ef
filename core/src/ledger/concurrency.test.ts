import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

/** Many postings at once to the same few accounts: the cached balances, the ledger and the events stay exact. */
describe('ledger under concurrent postings', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const CODES = ['1000', '1050', '4100', '6900'];

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Busy Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('keeps balances exact with 200 parallel requests over 4 accounts', async () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const requests = Array.from({ length: 200 }, () => {
      const debit = CODES[random(4)] ?? '1000';
      const credit = CODES.filter((c) => c !== debit)[random(3)] ?? '4100';
      const amount = 1 + random(100_000);
      return { date: `2026-06-${String(1 + random(28)).padStart(2, '0')}`, currency: 'USD', lines: [{ accountCode: debit, direction: 'DEBIT', amount }, { accountCode: credit, direction: 'CREDIT', amount }] };
    });
    const expected = new Map<string, number>(CODES.map((c) => [c, 0]));
    for (const r of requests) {
      const [d, c] = r.lines;
      expected.set(d?.accountCode ?? '', (expected.get(d?.accountCode ?? '') ?? 0) + (d?.amount ?? 0));
      expected.set(c?.accountCode ?? '', (expected.get(c?.accountCode ?? '') ?? 0) - (c?.amount ?? 0));
    }

    const responses = await Promise.all(requests.map((body) => hub.request('POST', path('/journal-entries'), { body })));
    expect(responses.map((r) => r.status)).toEqual(requests.map(() => 201));
    expect(responses.map((r) => r.body.number).sort((a: number, b: number) => a - b)).toEqual(requests.map((_, i) => i + 1));

    const accounts = (await hub.request('GET', path('/accounts?limit=100'))).body.data as Array<{ id: string; code: string; balance: number; balances: Array<{ balance: number }> }>;
    const sums = await hub.db.knex.raw<{ rows: Array<{ account_id: string; sum: number }> }>(
      `SELECT account_id, sum(CASE WHEN direction = 'DEBIT' THEN amount ELSE -amount END)::bigint AS sum FROM journal_lines GROUP BY account_id`,
    );
    const fromLines = new Map(sums.rows.map((r) => [r.account_id, Number(r.sum)]));
    for (const code of CODES) {
      const account = accounts.find((a) => a.code === code);
      if (!account) throw new Error(`no account ${code}`);
      expect(account.balance, code).toBe(expected.get(code));
      expect(fromLines.get(account.id) ?? 0, code).toBe(expected.get(code));
      expect(account.balances[0]?.balance ?? 0, code).toBe(expected.get(code));

      // The account ledger, paged, ends on the same balance, and each running balance adds up.
      let cursor: string | null = null;
      let running = 0;
      let postings = 0;
      do {
        const page: { body: { data: Array<{ direction: string; amount: number; runningBalance: number }>; nextCursor: string | null } } =
          await hub.request('GET', path(`/accounts/${account.id}/ledger?limit=37${cursor ? `&cursor=${cursor}` : ''}`));
        for (const p of page.body.data) {
          running += p.direction === 'DEBIT' ? p.amount : -p.amount;
          expect(p.runningBalance).toBe(running);
          postings += 1;
        }
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(running, code).toBe(expected.get(code));
      expect(postings).toBe(requests.filter((r) => r.lines.some((l) => l.accountCode === code)).length);

      // Its balance events have gapless versions and chain previousBalance → balance.
      const events = await hub.db.knex('events').where({ aggregateId: account.id, type: 'account.balance_changed' }).orderBy('version');
      expect(events.map((e: { version: number }) => e.version)).toEqual(events.map((_: unknown, i: number) => i + 1));
      let previous = 0;
      for (const e of events as Array<{ data: { object: { balance: number; previousBalance: number } } }>) {
        expect(e.data.object.previousBalance).toBe(previous);
        previous = e.data.object.balance;
      }
      expect(previous, code).toBe(expected.get(code));
    }
    expect(accounts.reduce((s, a) => s + a.balance, 0)).toBe(0);
  });
});
