import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Connection } from 'rabbitmq-client';
import { createAmqpBus, createRelay, createSecretBox, type AlertPolicy, type Bus, type ClaimedDelivery, type RecordResult, type Relay, type SecretBox } from '@uah/core';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { AMQP_URL, testQueueName } from '../../core/src/events/testing.js';
import { createHttpTransport, type HttpTransport } from '../../hub/src/webhooks/http-transport.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../hub/src/webhooks/delivery-worker.js';

export const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

/** The moving parts of a hub that deliver webhooks, started on one test database: a restart replaces all but the database. */
export interface Pipeline {
  bus: Bus;
  relay: Relay;
  worker: DeliveryWorker;
  transport: HttpTransport;
  recorded: Array<{ claimed: ClaimedDelivery; result: RecordResult }>;
  stop(): Promise<void>;
}

export interface FixtureOptions {
  alerts?: Partial<AlertPolicy>;
  clock?: () => Date;
  perEndpoint?: number;
  prefetch?: number;
  concurrency?: number;
}

export interface Fixture {
  hub: TestHub;
  queue: string;
  secretBox: SecretBox;
  pipeline: Pipeline;
  /** Stops the pipeline (as a hub process stopping) and starts a new one on the same database and queue. */
  restart(): Promise<Pipeline>;
  close(): Promise<void>;
}

export async function startPipeline(hub: TestHub, queue: string, options: FixtureOptions): Promise<Pipeline> {
  const bus = await createAmqpBus({ url: AMQP_URL, logger, connectionName: queue });
  const transport = createHttpTransport({ policy: { allowPrivate: true } });
  const relay = createRelay({ knex: hub.db.knex, bus, logger, embedded: false, signal: hub.core.outboxSignal });
  const recorded: Pipeline['recorded'] = [];
  const worker = createDeliveryWorker({
    bus, deliveries: hub.core.services.webhooks.deliveries, transport, logger, queue, pollMs: 25,
    perEndpoint: options.perEndpoint ?? 4, concurrency: options.concurrency ?? 64, ...(options.prefetch ? { prefetch: options.prefetch } : {}),
    onRecorded: (claimed, result) => void recorded.push({ claimed, result }),
  });
  await worker.start();
  relay.start();
  return {
    bus, relay, worker, transport, recorded,
    async stop() {
      await relay.stop();
      await worker.stop();
      transport.close();
      await bus.close();
    },
  };
}

/** A test hub whose webhooks go out over HTTP to 127.0.0.1, fed through RabbitMQ on a queue of its own. */
export async function createFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const secretBox = createSecretBox(randomBytes(32));
  const queue = testQueueName('webhooks');
  const transport = createHttpTransport({ policy: { allowPrivate: true } });
  const hub = await createTestHub({ webhooks: { transport, secretBox, ...(options.alerts ? { alerts: options.alerts } : {}), ...(options.clock ? { clock: options.clock } : {}) } });
  const fixture: Fixture = {
    hub, queue, secretBox,
    pipeline: await startPipeline(hub, queue, options),
    async restart() {
      await fixture.pipeline.stop();
      fixture.pipeline = await startPipeline(hub, queue, options);
      return fixture.pipeline;
    },
    async close() {
      await fixture.pipeline.stop();
      transport.close();
      await hub.close();
      const admin = new Connection(AMQP_URL);
      for (const name of [queue, `${queue}.parking`, ...[1, 2, 3, 4].map((n) => `${queue}.retry.${n}`)]) await admin.queueDelete({ queue: name });
      await admin.close();
    },
  };
  return fixture;
}
