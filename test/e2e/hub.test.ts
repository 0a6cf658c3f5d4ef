import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from 'rabbitmq-client';
import pg from 'pg';
import pino from 'pino';
import type { Event } from '@uah/schemas';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { AMQP_URL, testQueueName } from '../../core/src/events/testing.js';
import { testHubQueues } from '../hub-queues.js';

const silent = pino({ level: 'silent' });
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely; their shapes are checked by value
type Body = Record<string, any>;

async function call(hub: Hub, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(hub.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('the hub process on the embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-hub-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with no database or broker, generates an admin token once, and keeps data across restarts', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const first = await startHub(config, silent);
    let orgId: string;
    let apiKey: string;
    let customerId: string;
    const token = first.generatedAdminToken;
    try {
      expect(token).toMatch(/^uah_admin_/);
      expect((await call(first, 'GET', '/health', undefined)).body).toEqual({ status: 'ok' });
      expect((await call(first, 'GET', '/v1/openapi.json', undefined)).body.openapi).toBe('3.1.0');
      expect((await call(first, 'POST', '/v1/organizations', 'wrong', { name: 'X' })).status).toBe(401);
      const org = await call(first, 'POST', '/v1/organizations', token, { name: 'Embedded Ltd' });
      expect(org.status).toBe(201);
      orgId = org.body.id;
      apiKey = org.body.apiKey;
      const customer = await call(first, 'POST', `/v1/organizations/${orgId}/customers`, apiKey, { firstName: 'Ada' });
      customerId = customer.body.id;
      expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
      // The embedded store reports no row count for a DELETE: pruning must still end (it runs at every start too).
      await expect(first.core.services.webhooks.pruneSettled()).resolves.toBe(0);
    } finally {
      await first.stop();
    }
    const second = await startHub(config, silent);
    try {
      expect(second.generatedAdminToken).toBeUndefined();
      expect((await call(second, 'GET', `/v1/organizations/${orgId}/customers/${customerId}`, apiKey)).body.firstName).toBe('Ada');
      expect((await call(second, 'POST', '/v1/organizations', token, { name: 'Again' })).status).toBe(201);
    } finally {
      await second.stop();
    }
  }, 120_000); // two starts on the embedded store, which migrates from scratch at the first
});

describe('the hub process on PostgreSQL and RabbitMQ', () => {
  const database = `uah_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('publishes each committed event to uah.events exactly as the event log stores it', async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    // Queues of this test's own (the broker is shared), deleted after the file.
    const hub = await startHub(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...testHubQueues(), HUB_ADMIN_TOKEN: 'e2e-admin', LOG_LEVEL: 'silent', DATA_DIR: mkdtempSync(join(tmpdir(), 'uah-hub-')) }), silent);
    const amqp = new Connection(AMQP_URL);
    const received: Event[] = [];
    const queue = testQueueName('events');
    let consumer: ReturnType<Connection['createConsumer']> | undefined;
    try {
      const org = await call(hub, 'POST', '/v1/organizations', 'e2e-admin', { name: 'Broker Ltd' });
      consumer = amqp.createConsumer({ queue, queueOptions: { exclusive: true }, queueBindings: [{ exchange: 'uah.events', routingKey: `${org.body.id}.#` }] }, async (msg) => {
        // rabbitmq-client decodes application/json bodies itself.
        received.push((Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString()) : msg.body) as Event);
      });
      await new Promise<void>((resolve, reject) => {
        consumer?.once('ready', () => resolve());
        consumer?.once('error', reject);
      });
      const customer = await call(hub, 'POST', `/v1/organizations/${org.body.id}/customers`, org.body.apiKey, { firstName: 'Grace', email: 'grace@example.com' });
      expect(customer.status).toBe(201);
      const deadline = Date.now() + 10_000;
      while (!received.some((e) => e.aggregateId === customer.body.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const log = await call(hub, 'GET', `/v1/organizations/${org.body.id}/events?aggregateId=${customer.body.id}`, org.body.apiKey);
      expect(log.body.data).toHaveLength(1);
      expect(received.filter((e) => e.aggregateId === customer.body.id)).toEqual(log.body.data);
      expect((await call(hub, 'GET', '/ready', undefined)).body).toEqual({ status: 'ok', checks: { database: 'ok', bus: 'ok' } });
      // The repository's sample connector is in the catalog (loaded in the background at start).
      const catalog = await call(hub, 'GET', '/v1/connectors', org.body.apiKey);
      expect(catalog.body.data.find((c: { id: string }) => c.id === 'sample')).toMatchObject({ available: true, latestVersion: '1.0.0', versions: [{ origin: 'builtin' }] });
    } finally {
      await consumer?.close();
      await hub.stop();
      await amqp.close();
    }
  });
});
