import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

interface Line { accountId?: string; accountCode?: string; direction: 'DEBIT' | 'CREDIT'; amount: number; currency?: string; description?: string }

describe('ledger: chart of accounts and journal entries', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const post = (body: Record<string, unknown>, query = '') => hub.request('POST', path(`/journal-entries${query}`), { body });
  const entry = (lines: Line[], extra: Record<string, unknown> = {}) => ({ date: '2026-03-10', currency: 'USD', lines, ...extra });
  const counts = async () => {
    const k = hub.db.knex;
    const n = async (table: string) => Number((await k(table).count({ n: '*' }).first())?.n);
    return { entries: await n('journal_entries'), lines: await n('journal_lines'), events: await n('events'), balances: JSON.stringify(await k('account_balances').orderBy('account_id')) };
  };
  const account = async (code: string) => (await hub.request('GET', path(`/accounts?limit=100`))).body.data.find((a: { code: string }) => a.code === code);

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Ledger Ltd', 'USD');
  });
  afterAll(() => hub.close());

  it('seeds the default chart: one account per system key, in code order', async () => {
    const res = await hub.request('GET', path('/accounts?limit=100'));
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { code: string; systemKey: string; type: string }) => `${a.code} ${a.systemKey} ${a.type}`)).toEqual([
      '1000 bank ASSET', '1050 payment_clearing ASSET', '1060 disputed_funds ASSET', '1100 receivables ASSET', '1200 inventory ASSET', '2000 payables LIABILITY',
      '2100 sales_tax_payable LIABILITY', '2250 wages_payable LIABILITY', '2260 withholdings_payable LIABILITY', '2300 customer_credits LIABILITY', '2400 deferred_revenue LIABILITY', '3000 owners_equity EQUITY', '3100 retained_earnings EQUITY',
      '4000 sales_revenue REVENUE', '4100 service_revenue REVENUE', '5000 cost_of_goods_sold EXPENSE', '5100 inventory_adjustments EXPENSE', '6100 payment_fees EXPENSE',
      '6200 wages_expense EXPENSE', '6900 general_expenses EXPENSE', '7900 fx_gain_loss EXPENSE',
    ]);
    expect(res.body.data[0]).toMatchObject({ object: 'account', name: 'Bank', normalBalance: 'DEBIT', currency: null, active: true, balance: 0, balances: [] });
    const settings = await hub.request('GET', path('/ledger/settings'));
    expect(settings.body).toMatchObject({ object: 'ledger_settings', baseCurrency: 'USD', lockDate: null });
  });

  it('posts an entry: lines, totals, number, cached balances and events in the same transaction', async () => {
    const bank = await account('1000');
    const res = await post(entry([{ accountId: bank.id, direction: 'DEBIT', amount: 500000 }, { accountCode: '3000', direction: 'CREDIT', amount: 500000, description: 'capital' }], { memo: 'Owner contribution', metadata: { ref: 'A-1' } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: 'journal_entry', number: 1, date: '2026-03-10', currency: 'USD', exchangeRate: null, baseCurrency: 'USD', memo: 'Owner contribution',
      source: null, reversalOf: null, reversedBy: null, totals: [{ currency: 'USD', debit: 500000, credit: 500000 }], baseTotal: 500000, metadata: { ref: 'A-1' },
    });
    expect(res.body.lines).toEqual([
      { id: expect.stringMatching(/^jl_/), accountId: bank.id, accountCode: '1000', accountName: 'Bank', direction: 'DEBIT', amount: 500000, currency: 'USD', baseAmount: 500000, description: null, invoiceId: null, customerId: null, billId: null, vendorId: null },
      { id: expect.stringMatching(/^jl_/), accountId: expect.stringMatching(/^acc_/), accountCode: '3000', accountName: "Owner's equity", direction: 'CREDIT', amount: 500000, currency: 'USD', baseAmount: 500000, description: 'capital', invoiceId: null, customerId: null, billId: null, vendorId: null },
    ]);
    expect((await hub.request('GET', path(`/journal-entries/${res.body.id}`))).body).toEqual(res.body);
    expect(await account('1000')).toMatchObject({ balance: 500000, balances: [{ currency: 'USD', balance: 500000 }] });
    expect(await account('3000')).toMatchObject({ balance: -500000, balances: [{ currency: 'USD', balance: -500000 }] });

    const events = (await hub.request('GET', path(`/events?types=journal_entry.created,account.balance_changed`))).body.data;
    expect(events.map((e: { type: string; aggregateId: string; version: number }) => [e.type, e.aggregateId, e.version])).toEqual([
      ['journal_entry.created', res.body.id, 1],
      ...[[bank.id, 1], [res.body.lines[1].accountId, 1]].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([id, v]) => ['account.balance_changed', id, v]),
    ]);
    expect(events[0].data.object).toEqual(res.body);
    expect(events[0].metadata).toMatchObject({ source: 'API', correlationId: res.headers.get('x-request-id') });
    const bankEvent = events.find((e: { aggregateId: string }) => e.aggregateId === bank.id);
    expect(bankEvent.data.object).toEqual({ accountId: bank.id, currency: 'USD', balance: 500000, previousBalance: 0, entryId: res.body.id });
  });

  it('refuses bad entries with a clear 4xx and writes nothing', async () => {
    const bank = await account('1000');
    const other = await hub.createOrganization('Other Org', 'USD');
    const foreignBank = (await hub.request('GET', `/v1/organizations/${other.id}/accounts?limit=1`, { token: other.apiKey })).body.data[0];
    const before = await counts();
    const ok: Line[] = [{ accountCode: '1000', direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 100 }];
    const cases: Array<[string, Record<string, unknown>, number, string, string?]> = [
      ['unbalanced', entry([{ accountCode: '1000', direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 99 }]), 422, 'UNBALANCED_ENTRY'],
      ['one line', entry([{ accountCode: '1000', direction: 'DEBIT', amount: 100 }]), 400, 'VALIDATION_FAILED', '/lines'],
      ['zero amount', entry([{ accountCode: '1000', direction: 'DEBIT', amount: 0 }, { accountCode: '4100', direction: 'CREDIT', amount: 0 }]), 400, 'VALIDATION_FAILED', '/lines/0/amount'],
      ['negative amount', entry([{ accountCode: '1000', direction: 'DEBIT', amount: -5 }, { accountCode: '4100', direction: 'CREDIT', amount: -5 }]), 400, 'VALIDATION_FAILED', '/lines/0/amount'],
      ['float amount', entry([{ accountCode: '1000', direction: 'DEBIT', amount: 10.5 }, { accountCode: '4100', direction: 'CREDIT', amount: 10.5 }]), 400, 'VALIDATION_FAILED', '/lines/0/amount'],
      ['unknown account', entry([{ accountCode: '9999', direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 100 }]), 422, 'UNPROCESSABLE', '/lines/0/accountCode'],
      ['foreign account', entry([{ accountId: foreignBank.id, direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 100 }]), 422, 'UNPROCESSABLE', '/lines/0/accountId'],
      ['id and code', entry([{ accountId: bank.id, accountCode: '1000', direction: 'DEBIT', amount: 100 }, { accountCode: '4100', direction: 'CREDIT', amount: 100 }]), 422, 'UNPROCESSABLE', '/lines/0'],
      ['unknown currency', entry(ok, { currency: 'XYZ' }), 400, 'VALIDATION_FAILED', '/currency'],
      ['no exchange rate', entry(ok, { currency: 'EUR' }), 422, 'UNPROCESSABLE', '/exchangeRate'],
      ['rate on base', entry(ok, { exchangeRate: '1.2' }), 422, 'UNPROCESSABLE', '/exchangeRate'],
      ['third currency line', entry([{ accountCode: '1000', direction: 'DEBIT', amount: 100, currency: 'GBP' }, { accountCode: '4100', direction: 'CREDIT', amount: 100, currency: 'GBP' }], { currency: 'EUR', exchangeRate: '1.1' }), 422, 'UNPROCESSABLE', '/lines/0/currency'],
      ['bad date', entry(ok, { date: '2026-02-30' }), 400, 'VALIDATION_FAILED', '/date'],
      ['unknown field', entry(ok, { tags: ['x'] }), 400, 'VALIDATION_FAILED', '/tags'],
    ];
    for (const [label, body, status, code, field] of cases) {
      const res = await post(body);
      expect(res.status, label).toBe(status);
      expect(res.body.code, label).toBe(code);
      if (field) expect(res.body.errors.map((e: { field: string }) => e.field), label).toContain(field);
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses inactive accounts, and accounts restricted to another currency', async () => {
    const created = await hub.request('POST', path('/accounts'), { body: { code: '6500', name: 'Travel', type: 'EXPENSE' } });
    expect(created.status).toBe(201);
    const eurBank = await hub.request('POST', path('/accounts'), { body: { code: '1010', name: 'Bank EUR', type: 'ASSET', currency: 'EUR' } });
    expect(eurBank.body).toMatchObject({ currency: 'EUR', normalBalance: 'DEBIT' });
    expect((await hub.request('PATCH', path(`/accounts/${created.body.id}`), { body: { active: false } })).body.active).toBe(false);
    const before = await counts();
    const inactive = await post(entry([{ accountCode: '6500', direction: 'DEBIT', amount: 100 }, { accountCode: '1000', direction: 'CREDIT', amount: 100 }]));
    expect(inactive.status).toBe(422);
    expect(inactive.body.code).toBe('ACCOUNT_INACTIVE');
    const wrongCurrency = await post(entry([{ accountCode: '1010', direction: 'DEBIT', amount: 100 }, { accountCode: '1000', direction: 'CREDIT', amount: 100 }]));
    expect(wrongCurrency.status).toBe(422);
    expect(wrongCurrency.body.errors[0]).toMatchObject({ field: '/lines/0/currency', message: 'account 1010 only takes EUR' });
    expect(await counts()).toEqual(before);
  });

  it('a dry run validates, returns postings, balances and events, and writes nothing', async () => {
    const before = await counts();
    const res = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 2500 }, { accountCode: '1000', direction: 'CREDIT', amount: 2500 }], { memo: 'Stationery' }), '?dryRun=true');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: 'journal_entry_preview', id: null, number: null, memo: 'Stationery', baseTotal: 2500, totals: [{ currency: 'USD', debit: 2500, credit: 2500 }] });
    const bank = await account('1000');
    expect(res.body.balanceChanges).toContainEqual({ accountId: bank.id, accountCode: '1000', currency: 'USD', previousBalance: bank.balance, balance: bank.balance - 2500 });
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['journal_entry.created', 'account.balance_changed', 'account.balance_changed']);
    expect(await counts()).toEqual(before);
    const refused = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 2500 }, { accountCode: '1000', direction: 'CREDIT', amount: 2499 }]), '?dryRun=true');
    expect(refused.body.code).toBe('UNBALANCED_ENTRY');
  });

  it('posts in a foreign currency with the rate, and balances exactly in base currency', async () => {
    const res = await post({
      date: '2026-03-11', currency: 'EUR', exchangeRate: '1.0837',
      lines: [
        { accountCode: '1010', direction: 'DEBIT', amount: 1001 }, { accountCode: '1010', direction: 'DEBIT', amount: 1001 }, { accountCode: '1010', direction: 'DEBIT', amount: 1001 },
        { accountCode: '4100', direction: 'CREDIT', amount: 3003 },
      ],
    });
    expect(res.status).toBe(201);
    // 1001 × 1.0837 = 1084.7837 each (rounded alone: 1085 × 3 = 3255) but 3003 × 1.0837 = 3254.3511 → 3254:
    // each debit gets 1084 and the two cents left go to the largest remainders (ties: first lines).
    expect(res.body.lines.map((l: { baseAmount: number }) => l.baseAmount)).toEqual([1085, 1085, 1084, 3254]);
    expect(res.body).toMatchObject({ exchangeRate: '1.0837', baseTotal: 3254, totals: [{ currency: 'EUR', debit: 3003, credit: 3003 }] });
    expect(await account('1010')).toMatchObject({ balance: 3254, balances: [{ currency: 'EUR', balance: 3003 }] });
  });

  it('gives an account touched in two currencies one event per currency, with consecutive versions', async () => {
    const receivables = await account('1100');
    const res = await post({
      date: '2026-03-12', currency: 'EUR', exchangeRate: '1.1',
      lines: [
        { accountCode: '1010', direction: 'DEBIT', amount: 1000 }, { accountCode: '1100', direction: 'CREDIT', amount: 1000 },
        { accountCode: '1100', direction: 'DEBIT', amount: 25, currency: 'USD' }, { accountCode: '7900', direction: 'CREDIT', amount: 25, currency: 'USD' },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.totals).toEqual([{ currency: 'EUR', debit: 1000, credit: 1000 }, { currency: 'USD', debit: 25, credit: 25 }]);
    expect(res.body.baseTotal).toBe(1125);
    const events = await hub.db.knex('events').where({ aggregateId: receivables.id }).orderBy('version');
    expect(events.map((e: { version: number; data: { object: { currency: string; balance: number; previousBalance: number; entryId: string } } }) => [e.version, e.data.object.currency, e.data.object.previousBalance, e.data.object.balance, e.data.object.entryId])).toEqual([
      [1, 'EUR', 0, -1000, res.body.id],
      [2, 'USD', 0, 25, res.body.id],
    ]);
    expect(await account('1100')).toMatchObject({ balance: -1100 + 25, balances: [{ currency: 'EUR', balance: -1000 }, { currency: 'USD', balance: 25 }] });
  });

  it('posts once for a retried request with the same Idempotency-Key', async () => {
    const before = await counts();
    const body = entry([{ accountCode: '6900', direction: 'DEBIT', amount: 4242 }, { accountCode: '1000', direction: 'CREDIT', amount: 4242 }]);
    const headers = { 'idempotency-key': 'je-retry-1' };
    const first = await hub.request('POST', path('/journal-entries'), { body, headers });
    const retry = await hub.request('POST', path('/journal-entries'), { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const after = await counts();
    expect([after.entries - before.entries, after.lines - before.lines, after.events - before.events]).toEqual([1, 2, 3]);
  });

  it('reverses an entry once: mirrored lines, links both ways, balances restored', async () => {
    const before = await account('6900');
    const original = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 777 }, { accountCode: '1000', direction: 'CREDIT', amount: 777 }], { memo: 'Wrong' }));
    const reversed = await hub.request('POST', path(`/journal-entries/${original.body.id}/reverse`), { body: { memo: 'Booked twice' } });
    expect(reversed.status).toBe(201);
    expect(reversed.body).toMatchObject({ reversalOf: original.body.id, memo: 'Booked twice', date: original.body.date, number: original.body.number + 1 });
    expect(reversed.body.lines.map((l: { accountCode: string; direction: string; amount: number }) => [l.accountCode, l.direction, l.amount])).toEqual([['6900', 'CREDIT', 777], ['1000', 'DEBIT', 777]]);
    expect((await hub.request('GET', path(`/journal-entries/${original.body.id}`))).body.reversedBy).toBe(reversed.body.id);
    expect((await account('6900')).balance).toBe(before.balance);
    const again = await hub.request('POST', path(`/journal-entries/${original.body.id}/reverse`), { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_REVERSED');
    expect((await hub.request('POST', path('/journal-entries/je_nope/reverse'), { body: {} })).status).toBe(404);
  });

  it('honours the lock date, in the service and for reversals', async () => {
    const open = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 10 }, { accountCode: '1000', direction: 'CREDIT', amount: 10 }], { date: '2026-01-15' }));
    const second = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 20 }, { accountCode: '1000', direction: 'CREDIT', amount: 20 }], { date: '2026-01-16' }));
    const set = await hub.request('PUT', path('/ledger/settings'), { body: { lockDate: '2026-01-31' } });
    expect(set.body).toMatchObject({ lockDate: '2026-01-31' });
    const before = await counts();
    for (const date of ['2026-01-31', '2025-12-01']) {
      const res = await post(entry([{ accountCode: '6900', direction: 'DEBIT', amount: 10 }, { accountCode: '1000', direction: 'CREDIT', amount: 10 }], { date }));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('PERIOD_LOCKED');
    }
    expect(await counts()).toEqual(before);
    const reversed = await hub.request('POST', path(`/journal-entries/${open.body.id}/reverse`), { body: {} });
    expect(reversed.body.date).toBe(new Date().toISOString().slice(0, 10));
    expect(reversed.body.reversalOf).toBe(open.body.id);
    const lockedReversal = await hub.request('POST', path(`/journal-entries/${second.body.id}/reverse`), { body: { date: '2026-01-20' } });
    expect(lockedReversal.status).toBe(422);
    expect(lockedReversal.body.code).toBe('PERIOD_LOCKED');
    expect((await hub.request('GET', path(`/journal-entries/${second.body.id}`))).body.reversedBy).toBeNull();
    expect((await hub.request('PUT', path('/ledger/settings'), { body: { lockDate: null } })).body.lockDate).toBeNull();
  });

  it('manages accounts: unique codes, code frozen once used, system accounts stay active', async () => {
    expect((await hub.request('POST', path('/accounts'), { body: { code: '1000', name: 'Dup', type: 'ASSET' } })).status).toBe(409);
    expect((await hub.request('POST', path('/accounts'), { body: { code: '1 0', name: 'Bad', type: 'ASSET' } })).status).toBe(400);
    const fresh = await hub.request('POST', path('/accounts'), { body: { code: '6600', name: 'Rent', type: 'EXPENSE', metadata: { gl: 'x' } } });
    const renamed = await hub.request('PATCH', path(`/accounts/${fresh.body.id}`), { body: { code: '6610', name: 'Office rent', metadata: { gl: '' } } });
    expect(renamed.body).toMatchObject({ code: '6610', name: 'Office rent', metadata: {} });
    const bank = await account('1000');
    const frozen = await hub.request('PATCH', path(`/accounts/${bank.id}`), { body: { code: '1001' } });
    expect(frozen.status).toBe(409);
    const system = await hub.request('PATCH', path(`/accounts/${bank.id}`), { body: { active: false } });
    expect(system.status).toBe(422);
    const eur = await account('1010');
    expect((await hub.request('PATCH', path(`/accounts/${eur.id}`), { body: { active: false } })).status).toBe(422);
    expect((await hub.request('GET', path('/accounts?type=EQUITY'))).body.data.map((a: { code: string }) => a.code)).toEqual(['3000', '3100']);
  });
});
