import type { Context } from 'koa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';

/** A crash, as the client sees it: the request fails with the process before any answer leaves. */
class SimulatedCrash extends Error {}

/**
 * Idempotency-Key and crashes: the stored answer commits with the change, so whatever point a request dies
 * at, its retry with the same key either replays the first outcome or runs for the first time — never both.
 * Faults are injected by a request header the test hub's hooks read (`x-test-fault`).
 */
describe('Idempotency-Key across crashes', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const faultOf = (ctx: Context) => ctx.get('x-test-fault');

  beforeAll(async () => {
    hub = await createTestHub({
      idempotencyFaults: {
        beforeCommit(ctx) {
          if (faultOf(ctx) === 'before-commit') throw new SimulatedCrash('crash before commit');
        },
        afterCommit(ctx) {
          if (faultOf(ctx) === 'after-commit') throw new SimulatedCrash('crash after commit');
        },
      },
    });
    org = await hub.createOrganization('Crashes');
  });
  afterAll(() => hub.close());

  const post = (path: string, body: unknown, key: string, fault?: string) =>
    hub.request('POST', `/v1/organizations/${org.id}${path}`, { body, headers: { 'idempotency-key': key, ...(fault ? { 'x-test-fault': fault } : {}) } });
  const countWhere = async (table: string, where: Record<string, unknown>) => Number((await hub.db.knex(table).where(where).count({ n: '*' }).first())?.n);

  it('a crash after the commit: the retry replays the first answer and nothing is written twice', async () => {
    const body = { businessName: 'After Commit Ltd' };
    const crashed = await post('/customers', body, 'k-after', 'after-commit');
    expect(crashed.status).toBe(500);
    const retry = await post('/customers', body, 'k-after');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await countWhere('customers', { organization_id: org.id, business_name: 'After Commit Ltd' })).toBe(1);
    expect(await countWhere('events', { aggregate_id: retry.body.id })).toBe(1);
    const again = await post('/customers', body, 'k-after');
    expect(again.body).toEqual(retry.body);
  });

  it('a crash before the commit: nothing is left, and the retry runs for the first time', async () => {
    const body = { businessName: 'Before Commit Ltd' };
    const crashed = await post('/customers', body, 'k-before', 'before-commit');
    expect(crashed.status).toBe(500);
    expect(await countWhere('customers', { organization_id: org.id, business_name: 'Before Commit Ltd' })).toBe(0);
    expect(await countWhere('idempotency_keys', { key: 'k-before' })).toBe(0);
    const retry = await post('/customers', body, 'k-before');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await countWhere('customers', { organization_id: org.id, business_name: 'Before Commit Ltd' })).toBe(1);
  });

  it('a journal entry answered by a crash is posted once, and the ledger balances', async () => {
    const body = {
      date: '2026-03-01', currency: 'USD', memo: 'crash test',
      lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 12_345 }, { accountCode: '3000', direction: 'CREDIT', amount: 12_345 }],
    };
    expect((await post('/journal-entries', body, 'k-entry', 'after-commit')).status).toBe(500);
    const retry = await post('/journal-entries', body, 'k-entry');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await countWhere('journal_entries', { organization_id: org.id, memo: 'crash test' })).toBe(1);
    const accounts = await hub.request('GET', `/v1/organizations/${org.id}/accounts?limit=100`);
    expect(accounts.body.data.find((a: { code: string }) => a.code === '1000').balance).toBe(12_345);
  });

  it('a refusal answered by a crash is replayed as the same refusal, with nothing written', async () => {
    const body = { date: '2026-03-01', currency: 'USD', lines: [{ accountCode: '1000', direction: 'DEBIT', amount: 10 }, { accountCode: '3000', direction: 'CREDIT', amount: 9 }] };
    expect((await post('/journal-entries', body, 'k-refused', 'after-commit')).status).toBe(500);
    const retry = await post('/journal-entries', body, 'k-refused');
    expect(retry.status).toBe(422);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a key held by a live request is refused with 409; once its holder dies, the retry runs', async () => {
    const holder = new pg.Client({ connectionString: hub.db.url });
    await holder.connect();
    const scopeKey = `idempotency ${org.id} k-held`;
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [scopeKey]);
    const body = { businessName: 'Held Ltd' };
    const refused = await post('/customers', body, 'k-held');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(refused.headers.get('retry-after')).toBe('1');
    const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    holder.on('error', () => undefined);
    await hub.db.knex.raw('SELECT pg_terminate_backend(?)', [pid]);
    await holder.end().catch(() => undefined);
    const taken = await post('/customers', body, 'k-held');
    expect(taken.status).toBe(201);
    expect(await countWhere('customers', { organization_id: org.id, business_name: 'Held Ltd' })).toBe(1);
  });

  it('a record past its 24-hour window no longer replays: the key runs again', async () => {
    const body = { businessName: 'Old Key Ltd' };
    const first = await post('/customers', body, 'k-old');
    await hub.db.knex('idempotency_keys').where({ key: 'k-old' }).update({ created_at: hub.db.knex.raw(`now() - interval '25 hours'`) });
    const later = await post('/customers', body, 'k-old');
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await countWhere('idempotency_keys', { key: 'k-old' })).toBe(1);
  });
});
