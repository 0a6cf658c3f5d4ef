import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

interface Posting { entryNumber: number; date: string; direction: string; amount: number; baseAmount: number; currency: string; runningBalance: number; balanceCurrency: string; memo: string | null }

describe('account ledger and journal listing', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  let bankId: string;
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const post = async (date: string, amount: number, extra: Record<string, unknown> = {}) => {
    const res = await hub.request('POST', path('/journal-entries'), {
      body: { date, currency: 'USD', memo: `on ${date}`, lines: [{ accountCode: '1100', direction: amount > 0 ? 'DEBIT' : 'CREDIT', amount: Math.abs(amount) }, { accountCode: '4100', direction: amount > 0 ? 'CREDIT' : 'DEBIT', amount: Math.abs(amount) }], ...extra },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; number: number };
  };
  async function pages(query: string, limit: number): Promise<Posting[][]> {
    const out: Posting[][] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: Posting[]; nextCursor: string | null } } = await hub.request('GET', path(`/accounts/${bankId}/ledger?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`));
      expect(res.status).toBe(200);
      out.push(res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    return out;
  }

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Ledger View Co', 'USD');
    bankId = (await hub.request('GET', path('/accounts?limit=100'))).body.data.find((a: { code: string }) => a.code === '1100').id;
    // Posted out of date order on purpose: the ledger is in date order, the journal in posting order.
    for (const [date, amount] of [['2026-03-05', 1000], ['2026-03-01', 250], ['2026-03-05', -300], ['2026-02-20', 40], ['2026-03-09', 5], ['2026-03-02', -15], ['2026-03-03', 700]] as const) await post(date, amount);
    await hub.request('POST', path('/journal-entries'), {
      body: { date: '2026-03-04', currency: 'EUR', exchangeRate: '1.5', lines: [{ accountCode: '1100', direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 100 }] },
    });
  });
  afterAll(() => hub.close());

  it('lists postings in date order with a running balance that is right on every page', async () => {
    const all = (await pages('', 3)).flat();
    expect(all.map((p) => [p.date, p.direction, p.amount, p.runningBalance])).toEqual([
      ['2026-02-20', 'DEBIT', 40, 40],
      ['2026-03-01', 'DEBIT', 250, 290],
      ['2026-03-02', 'CREDIT', 15, 275],
      ['2026-03-03', 'DEBIT', 700, 975],
      ['2026-03-04', 'DEBIT', 100, 1125],
      ['2026-03-05', 'DEBIT', 1000, 2125],
      ['2026-03-05', 'CREDIT', 300, 1825],
      ['2026-03-09', 'DEBIT', 5, 1830],
    ]);
    // The EUR line counts at its base amount (100 × 1.5) in the base-currency running balance.
    expect(all[4]).toMatchObject({ currency: 'EUR', baseAmount: 150, balanceCurrency: 'USD' });
    expect(all[5]?.entryNumber).toBeLessThan(all[6]?.entryNumber ?? 0);
    expect((await pages('', 1)).flat()).toEqual(all);
    const account = (await hub.request('GET', path(`/accounts/${bankId}`))).body;
    expect(account).toMatchObject({ balance: 1830, balances: [{ currency: 'EUR', balance: 100 }, { currency: 'USD', balance: 1680 }] });
  });

  it('keeps earlier postings in the balance when from/to narrow the list, and filters by currency', async () => {
    const ranged = (await pages('&from=2026-03-02&to=2026-03-05', 2)).flat();
    expect(ranged.map((p) => [p.date, p.runningBalance])).toEqual([['2026-03-02', 275], ['2026-03-03', 975], ['2026-03-04', 1125], ['2026-03-05', 2125], ['2026-03-05', 1825]]);
    const eur = (await pages('&currency=EUR', 5)).flat();
    expect(eur.map((p) => [p.amount, p.runningBalance, p.balanceCurrency])).toEqual([[100, 100, 'EUR']]);
    const usd = (await pages('&currency=USD&from=2026-03-05', 5)).flat();
    expect(usd.map((p) => p.runningBalance)).toEqual([1975, 1675, 1680]);
    expect((await hub.request('GET', path(`/accounts/${bankId}/ledger?cursor=bm9wZQ`))).status).toBe(400);
    expect((await hub.request('GET', path('/accounts/acc_missing/ledger'))).status).toBe(404);
  });

  it('lists journal entries in posting order with filters and cursors', async () => {
    const first = await hub.request('GET', path('/journal-entries?limit=3'));
    expect(first.body.data.map((e: { number: number }) => e.number)).toEqual([1, 2, 3]);
    const second = await hub.request('GET', path(`/journal-entries?limit=3&cursor=${first.body.nextCursor}`));
    expect(second.body.data.map((e: { number: number }) => e.number)).toEqual([4, 5, 6]);
    const march5 = await hub.request('GET', path('/journal-entries?from=2026-03-05&to=2026-03-05'));
    expect(march5.body.data.map((e: { memo: string }) => e.memo)).toEqual(['on 2026-03-05', 'on 2026-03-05']);
    expect(march5.body.nextCursor).toBeNull();
    const byAccount = await hub.request('GET', path(`/journal-entries?accountId=${bankId}&limit=100`));
    expect(byAccount.body.data).toHaveLength(8);
    const none = await hub.request('GET', path('/journal-entries?sourceType=invoice'));
    expect(none.body.data).toEqual([]);
    expect((await hub.request('GET', path('/journal-entries/je_missing'))).status).toBe(404);
  });
});
