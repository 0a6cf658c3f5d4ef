import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FULL, accepted, collectEvents, createOrganization, journalEntry, outboxOf, request, retryUntilAccepted, sleep, steady, until, type HubProcess, useFaultEnvironment } from './harness.js';

const LOAD_SECONDS = FULL ? 60 : 14;
const ADMIN = `faults-admin-${randomBytes(6).toString('hex')}`;
/** Per key and window; the load's own keys stay well under it, and the organization's limit is out of the way. */
const LIMIT = 40;
const WINDOW_SECONDS = 20;
const LOAD_KEYS = 12;
const RELAY_LOCK_KEY = 0x75616872;

/**
 * Two hub processes on one database and one broker under a steady load; one is SIGKILLed half-way. One relay
 * publishes at a time and the survivor takes over, the overdue-invoice job marks an invoice once although each
 * start runs it, a key's rate limit holds across both processes, and no write or event is lost.
 */
describe('two hubs, one killed half-way', () => {
  const env = useFaultEnvironment('faults_two', { adminToken: ADMIN, extra: { RATE_LIMIT: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS), RATE_LIMIT_STANDARD: '1000000' } });

  const relayHolders = async (): Promise<number> =>
    Number((await env.database.db.query<{ n: string }>('SELECT count(*) AS n FROM pg_locks WHERE locktype = $1 AND granted AND classid = $2', ['advisory', RELAY_LOCK_KEY])).rows[0]?.n);

  it('keeps one relay, runs each job once, holds rate limits and loses nothing', async () => {
    const a: HubProcess = await env.hubs.start();
    const org = await createOrganization(a.url, ADMIN, 'Two hubs');
    const base = `/v1/organizations/${org.id}`;
    const consumer = await collectEvents(env.rabbit.url, org.id);
    // An issued invoice already overdue: the job that marks it runs at each hub's start (and on a timer).
    const customer = await request(a.url, org.apiKey, 'POST', `${base}/customers`, { businessName: 'Late Payer' });
    const draft = await request(a.url, org.apiKey, 'POST', `${base}/invoices`, { customerId: customer.body?.['id'], issueDate: '2026-01-02', dueDate: '2026-01-31', lines: [{ description: 'Audit', quantity: '1', unitPrice: 90000 }] });
    expect((await request(a.url, org.apiKey, 'POST', `${base}/invoices/${String(draft.body?.['id'])}/issue`, {})).status).toBe(200);
    const b: HubProcess = await env.hubs.start();

    // The load: keys of their own (each under its limit), alternating hubs; a killed hub's share goes to the other.
    const keys = await Promise.all(Array.from({ length: LOAD_KEYS }, async (_, i) => String((await request(a.url, org.apiKey, 'POST', `${base}/api-keys`, { name: `load ${i}` })).body?.['apiKey'])));
    let aAlive = true;
    const hubFor = (i: number) => (i % 2 === 0 && aAlive ? a : b);
    const writer = steady(12, (i) => ({ key: `two-${i}`, path: `${base}/journal-entries`, body: journalEntry(`two-${i}`, 100 + i) }), (i) => ({ url: hubFor(i).url, token: keys[i % keys.length]! }));
    const holders: number[] = [];
    const sampling = (async () => {
      for (const started = Date.now(); Date.now() - started < LOAD_SECONDS * 1000; await sleep(250)) holders.push(await relayHolders());
    })();

    await sleep((LOAD_SECONDS / 2) * 1000);
    await a.kill('SIGKILL');
    aAlive = false;
    await sampling;
    const writes = await writer.stop();
    // Whichever process held the relay lock, exactly one holds it now, and never were there two.
    expect(Math.max(...holders)).toBe(1);
    await until(async () => (await relayHolders()) === 1, 'the survivor to hold the relay lock', 30_000);

    // A key's limit across both processes: a burst alternating between them, at the start of a window.
    const probe = String((await request(b.url, org.apiKey, 'POST', `${base}/api-keys`, { name: 'probe' })).body?.['apiKey']);
    const a2 = await env.hubs.start(a.port);
    await until(() => Date.now() % (WINDOW_SECONDS * 1000) < 300, 'the start of a window', WINDOW_SECONDS * 1000 + 1000);
    const windowEnd = Date.now() - (Date.now() % (WINDOW_SECONDS * 1000)) + WINDOW_SECONDS * 1000;
    const inWindow: number[] = [];
    for (let i = 0; i < 3 * LIMIT && Date.now() < windowEnd - 500; i++) {
      const status = (await request(i % 2 === 0 ? a2.url : b.url, probe, 'GET', `${base}/customers?limit=1`)).status;
      if (Date.now() < windowEnd) inWindow.push(status);
    }
    expect(inWindow.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const admitted = inWindow.filter((s) => s === 200).length;
    // Each process alone would admit LIMIT, LIMIT × 2 together; shared at once once a key is busy, they admit
    // LIMIT plus at most what crossed one flush on its way.
    expect(inWindow.length).toBeGreaterThan(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(LIMIT + 6);

    // Nothing lost: every write completes once its retries are through, and every event is delivered.
    await retryUntilAccepted(writes, () => ({ url: b.url, token: keys[0]! }));
    expect(writes.every(accepted)).toBe(true);
    const entries = await env.database.db.query<{ n: string; d: string }>("SELECT count(*) AS n, count(DISTINCT memo) AS d FROM journal_entries WHERE organization_id = $1 AND memo LIKE 'two-%'", [org.id]);
    expect([Number(entries.rows[0]?.n), Number(entries.rows[0]?.d)]).toEqual([writes.length, writes.length]);
    await until(async () => (await outboxOf(env.database.db, org.id)).every((e) => e.published), 'every event published', 120_000);
    const events = await outboxOf(env.database.db, org.id);
    await until(() => events.every((e) => consumer.ids.has(e.id)), 'every event at the consumer', 120_000).catch(() => undefined);
    expect(events.filter((e) => !consumer.ids.has(e.id)).map((e) => e.id)).toEqual([]);
    // The overdue job ran at three starts (A, B, A again) and on no timer in between: it marked the invoice once.
    expect(events.filter((e) => e.type === 'invoice.overdue' && e.aggregateId === draft.body?.['id'])).toHaveLength(1);
    await consumer.close();
    env.passed();
  }, FULL ? 600_000 : 300_000);
});
