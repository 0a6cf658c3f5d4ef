import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { TEST_DATABASE_URL } from '../testing/database.js';
import { ambientKnex, runInTransaction } from '../db/ambient.js';
import { createGroupCommit } from '../db/group-commit.js';
import { createEventStore, type NewEvent } from './store.js';
import type { OutboxSignal } from './outbox-signal.js';

describe('event store (transactional outbox)', () => {
  let hub: TestHub;
  let org: { id: string; apiKey: string };
  const meta = { source: 'SYSTEM' as const };
  const probe = (aggregateId: string): NewEvent => ({ type: 'customer.updated', aggregateType: 'customer', aggregateId, organizationId: org.id, data: { object: { id: aggregateId } } });
  const eventsOf = (aggregateId: string) => hub.db.knex('events').where({ aggregate_id: aggregateId }).orderBy('seq');

  /** A connection of its own, outside the hub's pool: what it sees is committed. */
  let observer: pg.Client;

  beforeAll(async () => {
    hub = await createTestHub();
    org = await hub.createOrganization('Outbox Ltd');
    observer = new pg.Client({ connectionString: hub.db.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer.end();
    await hub.close();
  });

  it('commits an event with its state change, with the stored object equal to the API response', async () => {
    const created = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { body: { firstName: 'Eve' } });
    const rows = await eventsOf(created.body.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'customer.created', version: 1, organizationId: org.id });
    expect(rows[0].data.object).toEqual(created.body);
  });

  it('writes no event when the transaction rolls back, and keeps the state unchanged', async () => {
    const created = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { body: { firstName: 'Rollback' } });
    const id = created.body.id as string;
    await expect(
      hub.db.knex.transaction(async (trx) => {
        await trx('customers').where({ id }).update({ first_name: 'Changed' });
        await hub.core.services.events.append(trx, [probe(id)], meta);
        throw new Error('fail after the event was appended');
      }),
    ).rejects.toThrow(/fail after/);
    expect(await eventsOf(id)).toHaveLength(1);
    expect((await hub.db.knex('customers').where({ id }).first()).firstName).toBe('Rollback');

    // A change refused by the service after its write rolls back too: no row change, no event.
    const refused = await hub.request('PATCH', `/v1/organizations/${org.id}/customers/${id}`, { body: { firstName: null } });
    expect(refused.status).toBe(400);
    expect(await eventsOf(id)).toHaveLength(1);
    expect((await hub.request('GET', `/v1/organizations/${org.id}/customers/${id}`)).body.firstName).toBe('Rollback');
  });

  it('numbers events per aggregate and refuses a duplicate version', async () => {
    const id = 'cus_versioned';
    const appended = await hub.db.knex.transaction((trx) => hub.core.services.events.append(trx, [probe(id), probe(id)], meta));
    expect(appended.map((e) => [e.aggregateId, e.aggregateType, e.organizationId, e.version])).toEqual([
      [id, 'customer', org.id, 1],
      [id, 'customer', org.id, 2],
    ]);
    expect((await eventsOf(id)).map((e: { version: number }) => e.version)).toEqual([1, 2]);
    await expect(hub.db.knex('events').insert({ id: 'evt_dup', organization_id: org.id, type: 'customer.updated', aggregate_type: 'customer', aggregate_id: id, version: 2, data: '{}', metadata: '{}' })).rejects.toThrow(/unique/i);
  });

  it('shows readers only events no running transaction can precede, so a cursor never skips one', async () => {
    const path = `/v1/organizations/${org.id}/events?aggregateId=`;
    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowAppended!: () => void;
    const slowHasAppended = new Promise<void>((resolve) => (slowAppended = resolve));
    const slow = hub.db.knex.transaction(async (trx) => {
      await hub.core.services.events.append(trx, [probe('cus_slow')], meta);
      slowAppended();
      await slowMayCommit;
    });
    await slowHasAppended;
    await hub.db.knex.transaction((trx) => hub.core.services.events.append(trx, [probe('cus_fast')], meta));
    // The fast event committed, but the slow one (lower seq) may still commit: neither is shown yet.
    expect((await hub.request('GET', `${path}cus_fast`)).body.data).toHaveLength(0);
    releaseSlow();
    await slow;
    const all = await hub.request('GET', `/v1/organizations/${org.id}/events?types=customer.updated&limit=100`);
    const order = all.body.data.map((e: { aggregateId: string }) => e.aggregateId).filter((a: string) => a === 'cus_slow' || a === 'cus_fast');
    expect(order).toEqual(['cus_slow', 'cus_fast']);
  });

  it('never lets a cursor pass an event whose transaction wrote first but took its number last', async () => {
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, opened };
    };
    const aWrote = gate();
    const bAppended = gate();
    const aMayAppend = gate();
    const bMayCommit = gate();
    // A takes its transaction id first (a state change), but appends its event after B has appended.
    const a = hub.db.knex.transaction(async (trx) => {
      await trx('hub_settings').insert({ key: 'writer-a', value: '{}' });
      aWrote.open();
      await aMayAppend.opened;
      await hub.core.services.events.append(trx, [probe('cus_a_late')], meta);
    });
    await aWrote.opened;
    const b = hub.db.knex.transaction(async (trx) => {
      await hub.core.services.events.append(trx, [probe('cus_b_early')], meta);
      bAppended.open();
      await bMayCommit.opened;
    });
    await bAppended.opened;
    aMayAppend.open();
    await a;
    const [eventA] = await eventsOf('cus_a_late');
    const [eventB] = await hub.db.knex('events').where({ aggregate_id: 'cus_b_early' }).forShare().catch(() => [undefined]);
    expect(eventB).toBeUndefined(); // B has not committed
    const listed = await hub.request('GET', `/v1/organizations/${org.id}/events?limit=100`);
    expect(listed.body.data.map((e: { id: string }) => e.id)).not.toContain(eventA.id);
    bMayCommit.open();
    await b;
    const after = await hub.request('GET', `/v1/organizations/${org.id}/events?limit=100`);
    const ids = after.body.data.map((e: { aggregateId: string }) => e.aggregateId).filter((x: string) => x === 'cus_a_late' || x === 'cus_b_early');
    expect(ids).toEqual(['cus_b_early', 'cus_a_late']);
  });

  it('is not held back by a transaction running in another database', async () => {
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()'); // now it has a transaction id, like a writer
      const created = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { body: { firstName: 'Unblocked' } });
      const seen = await hub.request('GET', `/v1/organizations/${org.id}/events?aggregateId=${created.body.id}`);
      expect(seen.body.data.map((e: { type: string }) => e.type)).toEqual(['customer.created']);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
  });

  it('resumes after a known event and filters by type', async () => {
    const all = await hub.request('GET', `/v1/organizations/${org.id}/events?limit=100`);
    const [first, ...rest] = all.body.data as Array<{ id: string; type: string }>;
    const after = await hub.request('GET', `/v1/organizations/${org.id}/events?limit=100&after=${first?.id}`);
    expect(after.body.data.map((e: { id: string }) => e.id)).toEqual(rest.map((e) => e.id));
    const created = await hub.request('GET', `/v1/organizations/${org.id}/events?types=customer.created`);
    expect(created.body.data.length).toBeGreaterThan(0);
    expect(created.body.data.every((e: { type: string }) => e.type === 'customer.created')).toBe(true);
    expect((await hub.request('GET', `/v1/organizations/${org.id}/events?after=evt_unknown`)).status).toBe(400);
    expect((await hub.request('GET', `/v1/organizations/${org.id}/events?types=DROP TABLE`)).status).toBe(400);
  });

  describe('a row created with its event in one statement', () => {
    const calls: string[] = [];
    const signal: OutboxSignal = { afterCommit: () => void calls.push('after commit'), committed: () => void calls.push('committed'), listen: () => () => undefined };
    const row = (id: string) => ({ id, organizationId: org.id, firstName: 'One', tier: 'SMALL_BUSINESS', currency: 'USD', status: 'ACTIVE', metadata: {}, createdAt: new Date(), updatedAt: new Date() });
    const created = (id: string): NewEvent => ({ type: 'customer.created', aggregateType: 'customer', aggregateId: id, organizationId: org.id, data: { object: { id } } });

    it('writes both in autocommit and says so at once; a refused row writes no event', async () => {
      const store = createEventStore(hub.db.knex, signal);
      calls.length = 0;
      await store.insertWithEvent('customers', row('cus_one_statement'), created('cus_one_statement'), meta);
      expect(calls).toEqual(['committed']);
      expect((await eventsOf('cus_one_statement')).map((e) => [e.type, e.version])).toEqual([['customer.created', 1]]);
      // The same id again: the insert is refused, and with it the event.
      await expect(store.insertWithEvent('customers', row('cus_one_statement'), created('cus_one_statement'), meta)).rejects.toThrow(/duplicate key/);
      expect(await eventsOf('cus_one_statement')).toHaveLength(1);
    });

    it('group-commits concurrent writes: each is answered after the shared commit, and a refused one fails alone', async () => {
      const group = createGroupCommit(hub.db.knex, { enabled: true });
      const store = createEventStore(hub.db.knex, signal, group);
      await store.insertWithEvent('customers', row('cus_grouped_taken'), created('cus_grouped_taken'), meta);
      const ids = Array.from({ length: 12 }, (_, i) => (i === 5 ? 'cus_grouped_taken' : `cus_grouped_${i}`));
      const outcomes = await Promise.allSettled(ids.map(async (id) => {
        await store.insertWithEvent('customers', row(id), created(id), meta);
        // Answered only once committed: another connection sees the row and its event.
        return (await observer.query('SELECT 1 FROM customers c JOIN events e ON e.aggregate_id = c.id WHERE c.id = $1', [id])).rowCount;
      }));
      expect(outcomes.map((o) => o.status)).toEqual(ids.map((id) => (id === 'cus_grouped_taken' ? 'rejected' : 'fulfilled')));
      expect((outcomes[5] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
      for (const o of outcomes.filter((x) => x.status === 'fulfilled')) expect((o as PromiseFulfilledResult<number>).value).toBe(1);
      expect(await eventsOf('cus_grouped_taken')).toHaveLength(1);
      const stats = group.stats();
      expect(stats.members).toBeGreaterThan(stats.groups);
    });

    it("inside a request's unit of work, joins its transaction: rolled back with it, and the relay is told only after a commit", async () => {
      const ambient = ambientKnex(hub.db.knex);
      const store = createEventStore(ambient, signal);
      calls.length = 0;
      await expect(hub.db.knex.transaction((trx) => runInTransaction(trx, async () => {
        await store.insertWithEvent('customers', row('cus_in_unit'), created('cus_in_unit'), meta);
        throw new Error('the request failed after the write');
      }))).rejects.toThrow(/request failed/);
      expect(calls).toEqual(['after commit']);
      expect(await hub.db.knex('customers').where({ id: 'cus_in_unit' })).toHaveLength(0);
      expect(await eventsOf('cus_in_unit')).toHaveLength(0);
      await hub.db.knex.transaction((trx) => runInTransaction(trx, () => store.insertWithEvent('customers', row('cus_in_unit'), created('cus_in_unit'), meta)));
      expect(await eventsOf('cus_in_unit')).toHaveLength(1);
    });
  });
});
