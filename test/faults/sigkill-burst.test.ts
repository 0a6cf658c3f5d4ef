import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FULL, accepted, burst, collectEvents, createOrganization, entriesByMemo, firstAccepted, journalEntry, outboxOf, request, retryUntilAccepted, until, type HubProcess, type Write, useFaultEnvironment } from './harness.js';

const WRITES = FULL ? 5000 : 600;
const ADMIN = `faults-admin-${randomBytes(6).toString('hex')}`;

/**
 * The hub is SIGKILLed in the middle of a burst of keyed writes, then started again. Every write that was
 * answered 2xx is in the database with its event; every event reaches a consumer of `uah.events`; retrying
 * every write with its key (answered or not) writes nothing twice.
 */
describe(`SIGKILL of the hub during a burst of ${WRITES} writes`, () => {
  const env = useFaultEnvironment('faults_kill', { adminToken: ADMIN });

  it('keeps every answered write with its event, delivers every event, and repeats nothing on retry', async () => {
    let hub: HubProcess = await env.hubs.start();
    const org = await createOrganization(hub.url, ADMIN, 'Killed mid-burst');
    const consumer = await collectEvents(env.rabbit.url, org.id);
    const path = `/v1/organizations/${org.id}/journal-entries`;
    const writes: Write[] = Array.from({ length: WRITES }, (_, i) => ({ key: `burst-${i}`, path, body: journalEntry(`burst-${i}`, 100 + i), answers: [] }));
    const target = () => ({ url: hub.url, token: org.apiKey });

    let killing: Promise<void> | undefined;
    await burst(writes, 16, target, (done) => {
      if (done === Math.floor(WRITES / 2)) killing = hub.kill('SIGKILL');
    });
    await killing;
    const answeredBeforeKill = writes.filter(accepted).length;
    expect(answeredBeforeKill).toBeGreaterThan(WRITES / 4);
    expect(answeredBeforeKill).toBeLessThan(WRITES);

    // Every write answered 2xx before the kill is in the database, with its journal_entry.created event.
    const ids = writes.filter(accepted).map((w) => String(firstAccepted(w)?.body?.['id']));
    const stored = await env.database.db.query<{ id: string }>('SELECT id FROM journal_entries WHERE id = ANY($1)', [ids]);
    expect(stored.rowCount).toBe(ids.length);
    const withEvents = await env.database.db.query<{ id: string }>("SELECT DISTINCT aggregate_id AS id FROM events WHERE type = 'journal_entry.created' AND aggregate_id = ANY($1)", [ids]);
    expect(withEvents.rowCount).toBe(ids.length);

    hub = await env.hubs.start(hub.port);
    // Retry what failed, and send a sample of what succeeded again: the same key replays, never writes.
    await retryUntilAccepted(writes, target);
    const again = writes.filter((_, i) => i % 50 === 0);
    for (const write of again) {
      const replay = await request(hub.url, org.apiKey, 'POST', path, write.body, { 'idempotency-key': write.key });
      expect(replay.status).toBe(201);
      expect(replay.body?.['id']).toBe(firstAccepted(write)?.body?.['id']);
    }
    const counts = await entriesByMemo(env.database.db, org.id, 'burst-');
    expect(counts).toEqual({ distinct: WRITES, total: WRITES, duplicated: 0 });

    // Every event of the organization is published and reaches the consumer (by id; at least once).
    await until(async () => (await outboxOf(env.database.db, org.id)).every((e) => e.published), 'every event published', 120_000);
    const events = await outboxOf(env.database.db, org.id);
    expect(events.filter((e) => e.type === 'journal_entry.created')).toHaveLength(WRITES);
    await until(() => events.every((e) => consumer.ids.has(e.id)), 'every event at the consumer', 120_000).catch(() => undefined);
    expect(events.filter((e) => !consumer.ids.has(e.id)).map((e) => e.id)).toEqual([]);
    await consumer.close();
    env.passed();
  }, FULL ? 900_000 : 300_000);
});
