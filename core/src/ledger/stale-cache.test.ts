import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMetadata } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { createLedgerService, type LedgerService, type PostEntryInput } from './service.js';

/**
 * Two hub processes on one database: each keeps its own cached context. Changes made through one must
 * never let the other post on stale facts (a renamed code, a deactivated account, a lock date).
 */
describe('ledger context cached by several processes', () => {
  let hub: TestHub;
  let a: LedgerService;
  let b: LedgerService;
  let orgId: string;
  const meta: EventMetadata = { source: 'SYSTEM' };
  const entry = (debit: string, date = '2026-07-01'): PostEntryInput => ({ date, currency: 'USD', lines: [{ account: { code: debit }, direction: 'DEBIT', amount: 10 }, { account: { code: '1000' }, direction: 'CREDIT', amount: 10 }] });
  const postA = (input: PostEntryInput) => a.createEntry(orgId, { date: input.date, currency: input.currency, lines: input.lines.map((l) => ({ accountCode: 'code' in l.account ? l.account.code : '', direction: l.direction, amount: l.amount })) }, meta);
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  beforeAll(async () => {
    hub = await createTestHub();
    orgId = (await hub.createOrganization('Two Processes', 'USD')).id;
    a = hub.core.services.ledger;
    const { organizations, events } = hub.core.services;
    b = createLedgerService({ knex: hub.db.knex, events, organizations: { get: organizations.get, baseCurrency: organizations.baseCurrency, create: organizations.create, update: organizations.update, onCreated: () => undefined } });
  });
  afterAll(() => hub.close());

  it('sees accounts created, renamed and deactivated elsewhere, and lock dates moved elsewhere', async () => {
    await postA(entry('6900'));
    const travel = await b.accounts.create(orgId, { code: '6700', name: 'Travel', type: 'EXPENSE' });
    await a.preview(orgId, entry('6700'));

    // A code freed and reused elsewhere: postings by that code go to the account that has it now.
    await b.accounts.update(orgId, travel.id, { code: '6710' });
    const meals = await b.accounts.create(orgId, { code: '6700', name: 'Meals', type: 'EXPENSE' });
    const reused = await postA(entry('6700'));
    expect('lines' in reused && [reused.lines[0]?.accountId, reused.lines[0]?.accountName, reused.lines[0]?.accountCode]).toEqual([meals.id, 'Meals', '6700']);
    const travelled = await postA(entry('6710'));
    expect('lines' in travelled && travelled.lines[0]?.accountId).toBe(travel.id);

    // A name changed elsewhere is what the posting (and its event) says.
    await b.accounts.update(orgId, travel.id, { name: 'Travel and lodging' });
    const renamed = await postA(entry('6710'));
    expect('lines' in renamed && renamed.lines[0]?.accountName).toBe('Travel and lodging');
    const event = await hub.db.knex('events').where({ aggregateId: 'id' in renamed ? renamed.id : '', type: 'journal_entry.created' }).first();
    expect(event.data.object.lines[0].accountName).toBe('Travel and lodging');

    const before = Number((await hub.db.knex('journal_entries').count({ n: '*' }).first())?.n);
    await b.accounts.create(orgId, { code: '6800', name: 'Gifts', type: 'EXPENSE' });
    await postA(entry('6800'));
    const gifts = (await b.accounts.list(orgId, { limit: 100 })).data.find((x) => x.code === '6800');
    // Deactivation needs a zero balance: move it back first (through B, so A's cache is not told).
    await b.createEntry(orgId, { date: '2026-07-01', currency: 'USD', lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 10 }, { accountCode: '6800', direction: 'CREDIT', amount: 10 }] }, meta);
    await b.accounts.update(orgId, gifts?.id ?? '', { active: false });
    expect(await refusal(postA(entry('6800')))).toBe('ACCOUNT_INACTIVE');
    expect(Number((await hub.db.knex('journal_entries').count({ n: '*' }).first())?.n)).toBe(before + 2);

    await b.setLockDate(orgId, '2026-07-15');
    expect(await refusal(postA(entry('6900', '2026-07-10')))).toBe('PERIOD_LOCKED');
    await b.setLockDate(orgId, null);
    expect((await postA(entry('6900', '2026-07-10'))).object).toBe('journal_entry');
  });
});
