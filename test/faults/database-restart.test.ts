import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FULL, accepted, burst, createOrganization, firstAccepted, journalEntry, request, retryUntilAccepted, sleep, steady, until, type Write, useFaultEnvironment } from './harness.js';

const RESTARTS = FULL ? 3 : 1;
const ADMIN = `faults-admin-${randomBytes(6).toString('hex')}`;

/**
 * PostgreSQL is restarted (fast shutdown: sessions in flight are ended) during a steady stream of journal
 * entries and invoices. Requests that were in flight fail with 503 problem+json, the hub recovers without
 * being restarted, and nothing is half-written: every journal entry balances, every invoice has its lines,
 * every issued invoice has its posting.
 */
describe(`PostgreSQL restarted ${RESTARTS}× during writes`, () => {
  const env = useFaultEnvironment('faults_pg', { adminToken: ADMIN });

  it('answers 503 problem+json for what was in flight, recovers by itself and writes nothing partly', async () => {
    const hub = await env.hubs.start();
    const org = await createOrganization(hub.url, ADMIN, 'Database restart');
    const target = () => ({ url: hub.url, token: org.apiKey });
    const customer = await request(hub.url, org.apiKey, 'POST', `/v1/organizations/${org.id}/customers`, { businessName: 'Restart Customer' });
    expect(customer.status).toBe(201);
    const base = `/v1/organizations/${org.id}`;
    const invoice = (i: number) => ({ customerId: customer.body?.['id'], issueDate: '2026-03-01', lines: [{ description: `Work ${i}`, quantity: '2', unitPrice: 1500 + i }, { description: 'Travel', quantity: '1', unitPrice: 700 }] });
    const writer = steady(12, (i) => (i % 2 === 0
      ? { key: `pg-je-${i}`, path: `${base}/journal-entries`, body: journalEntry(`pg-je-${i}`, 100 + i) }
      : { key: `pg-inv-${i}`, path: `${base}/invoices`, body: invoice(i) }), target);

    for (let round = 0; round < RESTARTS; round++) {
      await sleep(2500);
      await env.postgres.restart();
    }
    await until(async () => (await request(hub.url, '', 'GET', '/ready')).status === 200, '/ready after the restart', 60_000);
    // Recovered by itself: a new write goes through within seconds, with no restart of the hub.
    const recovered = Date.now();
    await until(async () => (await request(hub.url, org.apiKey, 'POST', `${base}/journal-entries`, journalEntry('pg-after'), { 'idempotency-key': 'pg-after' })).status === 201, 'a write after the restart', 60_000);
    expect(Date.now() - recovered).toBeLessThan(60_000);
    await sleep(1000);
    const writes = await writer.stop();

    // Whatever failed, failed as a 503 problem+json (the process stayed up, so every request had an answer).
    const failures = writes.flatMap((w) => w.answers).filter((a) => a.status < 200 || a.status >= 300);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.map((a) => a.status).filter((status) => status !== 503)).toEqual([]);
    for (const failure of failures) {
      expect(failure.contentType).toMatch(/application\/problem\+json/);
      expect(failure.body?.['code']).toBe('SERVICE_UNAVAILABLE');
    }

    // Retries with the same keys complete the work once; then every created invoice is issued (keyed too).
    await retryUntilAccepted(writes, target);
    const issues: Write[] = writes.filter((w) => w.key.startsWith('pg-inv-')).map((w) => ({ key: `${w.key}-issue`, path: `${base}/invoices/${String(firstAccepted(w)?.body?.['id'])}/issue`, body: {}, answers: [] }));
    const issuing = burst(issues, 4, target);
    await sleep(1500);
    await env.postgres.restart();
    await issuing;
    await retryUntilAccepted(issues, target);
    expect(issues.every(accepted)).toBe(true);

    const { db } = env.database;
    const counts = await db.query<{ entries: string; keys: string }>("SELECT count(*) AS entries, count(DISTINCT memo) AS keys FROM journal_entries WHERE organization_id = $1 AND memo LIKE 'pg-je-%'", [org.id]);
    expect(Number(counts.rows[0]?.entries)).toBe(writes.filter((w) => w.key.startsWith('pg-je-')).length);
    expect(counts.rows[0]?.keys).toBe(counts.rows[0]?.entries);
    const unbalanced = await db.query(
      `SELECT e.id FROM journal_entries e WHERE e.organization_id = $1 AND (
         (SELECT count(*) FROM journal_lines l WHERE l.entry_id = e.id) < 2
         OR (SELECT sum(CASE WHEN l.direction = 'DEBIT' THEN l.amount ELSE -l.amount END) FROM journal_lines l WHERE l.entry_id = e.id) <> 0)`,
      [org.id],
    );
    expect(unbalanced.rows).toEqual([]);
    const invoices = await db.query<{ id: string; status: string; lines: number; postings: string | number }>(
      `SELECT i.id, i.status, jsonb_array_length(i.lines) AS lines,
              (SELECT count(*) FROM journal_entries e WHERE e.source_id = i.id) AS postings
         FROM invoices i WHERE i.organization_id = $1`,
      [org.id],
    );
    expect(invoices.rows).toHaveLength(issues.length);
    expect(invoices.rows.filter((r) => r.lines !== 2 || r.status === 'DRAFT' || Number(r.postings) !== 1)).toEqual([]);
    env.passed();
  }, FULL ? 600_000 : 240_000);
});
