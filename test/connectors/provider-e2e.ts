import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createAmqpBus, createRelay, createSecretBox, type Bus, type Relay } from '@uah/core';
import { createTestHub, type ApiResponse, type RequestOptions, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL, testQueueName } from '../../core/src/events/testing.js';
import { createConnectorPlatform, type ConnectorPlatform } from '../../hub/src/connectors/platform.js';
import { connectorFolder, type ConnectorFolder } from './fixtures.js';

/**
 * A hub on the real PostgreSQL and RabbitMQ (relay, event routing on queues of the test's own) with one
 * connector package loaded from a folder whose manifest points the OAuth endpoints and allowed hosts at a
 * provider emulator, for the end-to-end tests of provider connectors.
 */
export interface ProviderHub {
  hub: TestHub;
  platform: ConnectorPlatform;
  org: { id: string; apiKey: string };
  call(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** `/v1/organizations/{org}/integrations/{connectorId}` + tail. */
  integration(tail?: string): string;
  /** The hub's authorize URL, the provider's consent (the emulator grants at once), then the callback. */
  authorize(): Promise<ApiResponse>;
  /** Queues a sync of the data types and runs it to its end; the jobs as the API shows them. */
  sync(dataTypes: string[], full?: boolean): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startProviderHub(options: { connectorId: string; manifest: Record<string, unknown>; handlersModule: string }): Promise<ProviderHub> {
  const silent = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const prefix = testQueueName('connector');
  const folder: ConnectorFolder = connectorFolder();
  folder.add(options.connectorId, {
    manifest: options.manifest,
    source: `import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { handlers } from '${options.handlersModule}';
export default defineConnector({ manifest, ...handlers });
`,
  });
  const holder: { hub?: TestHub } = {};
  const platform = await createConnectorPlatform(
    { allowPrivate: true, search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 128 }, loadTimeoutMs: 30_000, oauth: { publicUrl: () => holder.hub?.baseUrl ?? '' } },
    { logger: silent, secrets: createSecretBox(randomBytes(32)) },
  );
  const bus: Bus = await createAmqpBus({ url: AMQP_URL, logger: silent });
  const hub = await createTestHub({ bus, extraRoutes: (services, knex) => platform.routes(services, knex) });
  const relay: Relay = createRelay({ knex: hub.db.knex, bus, logger: silent, embedded: false });
  relay.start();
  await platform.startEventRouting(bus, { queuePrefix: prefix, retryDelaysMs: [300], maxAttempts: 3 });
  const org = await hub.createOrganization(`${options.connectorId} e2e ${randomBytes(3).toString('hex')}`);
  holder.hub = hub;
  const h = hub;
  const call = (method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> => h.request(method, path, { token: org.apiKey, ...opts });
  const integration = (tail = ''): string => `/v1/organizations/${org.id}/integrations/${options.connectorId}${tail}`;
  return {
    hub: h,
    platform,
    org,
    call,
    integration,
    async authorize() {
      const started = await call('GET', integration('/oauth/authorize'), { headers: { accept: 'application/json' } });
      if (started.status !== 200) throw new Error(`authorize answered ${started.status}: ${JSON.stringify(started.body)}`);
      const consent = await fetch(started.body.authorizeUrl, { redirect: 'manual' });
      const back = new URL(consent.headers.get('location') ?? '');
      return call('GET', back.pathname + back.search, { token: null });
    },
    async sync(dataTypes, full = false) {
      const queued = await call('POST', integration('/sync'), { body: { dataTypes, full } });
      if (queued.status !== 202 && queued.status !== 200 && queued.status !== 201) throw new Error(`sync answered ${queued.status}: ${JSON.stringify(queued.body)}`);
      await platform.sync.runQueued();
      const jobs = [];
      for (const job of queued.body.data as Array<{ id: string }>) jobs.push((await call('GET', integration(`/sync-jobs/${job.id}`))).body as Record<string, unknown>);
      return jobs;
    },
    async close() {
      await platform.stop();
      await relay.stop();
      await bus.close();
      folder.remove();
      await h.close();
    },
  };
}
