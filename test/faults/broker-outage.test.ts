import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FULL, collectEvents, createOrganization, entriesByMemo, journalEntry, outboxOf, request, retryUntilAccepted, sleep, steady, until, useFaultEnvironment } from './harness.js';

const OUTAGE_SECONDS = FULL ? 30 : 6;
const ADMIN = `faults-admin-${randomBytes(6).toString('hex')}`;

/**
 * RabbitMQ is stopped for a while during a steady stream of writes, then started again. The API keeps
 * accepting writes (the outbox holds their events), `/ready` reports the bus as unavailable while it is down,
 * and once it is back every event reaches a consumer bound to `uah.events`.
 */
describe(`RabbitMQ stopped for ${OUTAGE_SECONDS} s during writes`, () => {
  const env = useFaultEnvironment('faults_broker', { adminToken: ADMIN });

  it('accepts writes, reports the outage on /ready, and loses no event', async () => {
    const hub = await env.hubs.start();
    const org = await createOrganization(hub.url, ADMIN, 'Broker outage');
    const consumer = await collectEvents(env.rabbit.url, org.id);
    const path = `/v1/organizations/${org.id}/journal-entries`;
    const writer = steady(15, (i) => ({ key: `outage-${i}`, path, body: journalEntry(`outage-${i}`, 100 + i) }), () => ({ url: hub.url, token: org.apiKey }));

    await sleep(2000);
    await env.rabbit.stopBroker();
    const downAt = Date.now();
    const readiness: number[] = [];
    const writtenBefore = writer.writes.length;
    while (Date.now() - downAt < OUTAGE_SECONDS * 1000) {
      const ready = await request(hub.url, '', 'GET', '/ready');
      readiness.push(ready.status);
      if (ready.status === 503) expect(String(ready.body?.['detail'])).toMatch(/bus/);
      await sleep(1000);
    }
    const writtenDuring = writer.writes.slice(writtenBefore);
    await env.rabbit.startBroker();
    await until(async () => (await request(hub.url, '', 'GET', '/ready')).status === 200, '/ready after the outage', 90_000);
    await sleep(2000);
    const writes = await writer.stop();

    // /ready said so while the broker was down: every answer after the first (the hub may not have noticed
    // the dropped connection yet) is 503. On a loaded machine each check can take seconds, so few are made.
    expect(readiness.length).toBeGreaterThanOrEqual(2);
    expect(readiness.slice(1).filter((status) => status !== 503)).toEqual([]);
    // Writes kept being accepted during the outage.
    expect(writtenDuring.length).toBeGreaterThan(OUTAGE_SECONDS * 10);
    const statuses = writtenDuring.map((w) => w.answers[0]?.status ?? -1);
    expect(statuses.filter((status) => status < 200 || status >= 300), 'answers to writes sent while the broker was down').toEqual([]);

    await retryUntilAccepted(writes, () => ({ url: hub.url, token: org.apiKey }));
    expect(await entriesByMemo(env.database.db, org.id, 'outage-')).toEqual({ distinct: writes.length, total: writes.length, duplicated: 0 });
    await until(async () => (await outboxOf(env.database.db, org.id)).every((e) => e.published), 'every event published', 120_000);
    const events = await outboxOf(env.database.db, org.id);
    expect(events.filter((e) => e.type === 'journal_entry.created')).toHaveLength(writes.length);
    await until(() => events.every((e) => consumer.ids.has(e.id)), 'every event at the consumer', 120_000).catch(() => undefined);
    expect(events.filter((e) => !consumer.ids.has(e.id)).map((e) => e.id)).toEqual([]);
    await consumer.close();
    env.passed();
  }, FULL ? 600_000 : 240_000);
});
