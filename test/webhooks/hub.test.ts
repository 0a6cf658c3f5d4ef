import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { verifyWebhook } from '../../client/src/index.js';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { AMQP_URL } from '../../core/src/events/testing.js';
import { testHubQueues } from '../hub-queues.js';
import { TEST_DATABASE_URL } from '../../core/src/testing/database.js';
import { logger } from './fixture.js';
import { startReceiver, until } from './receiver.js';

describe('webhooks through the hub process', () => {
  const database = `uah_wh_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'uah-wh-hub-'));
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(hub: Hub, method: string, path: string, token: string, body?: unknown): Promise<Record<string, string>> {
    const res = await fetch(hub.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await res.json()) as Record<string, string>;
  }

  it('signs with the secret it returned, across a restart of the hub (the sealed secret survives with the key in DATA_DIR)', async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...testHubQueues(), WEBHOOK_ALLOW_PRIVATE: 'true', HUB_ADMIN_TOKEN: 'wh-admin', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    const receiver = await startReceiver(() => ({ status: 200 }));
    let hub = await startHub(config, logger);
    try {
      const org = await call(hub, 'POST', '/v1/organizations', 'wh-admin', { name: 'Wired Ltd' });
      const path = `/v1/organizations/${org['id'] ?? ''}`;
      const endpoint = await call(hub, 'POST', `${path}/webhooks`, org['apiKey'] ?? '', { url: receiver.url, events: ['customer.*'] });
      const secret = endpoint['secret'] ?? '';
      await call(hub, 'POST', `${path}/customers`, org['apiKey'] ?? '', { firstName: 'Before' });
      await until(() => receiver.received.length === 1);
      await hub.stop();
      hub = await startHub(config, logger);
      await call(hub, 'POST', `${path}/customers`, org['apiKey'] ?? '', { firstName: 'After' });
      await until(() => receiver.received.length === 2);
      const events = receiver.received.map((r) => verifyWebhook(secret, r.headers as Record<string, string>, r.body));
      expect(events.map((e) => (e.data.object as { firstName: string }).firstName)).toEqual(['Before', 'After']);
    } finally {
      await hub.stop();
      await receiver.close();
    }
  });
});
