import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { Connection } from 'rabbitmq-client';
import type { Event, EventType } from '@uah/schemas';
import { declaredQueues, parkingQueueName, retryQueueName } from './amqp-bus.js';
import type { Bus, ConsumerOptions, Delivery } from './bus.js';
import type { NewEvent } from './store.js';

/** Helpers of the event tests that talk to the real RabbitMQ. */
export const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const execFileAsync = promisify(execFile);

/** Names one test run (set by the global setup, inherited by every test process), so its queues can be found after it. */
export const TEST_RUN_ENV = 'UAH_TEST_RUN';

/** What every queue a test declares on the shared broker starts with, whatever its run. */
export const TEST_QUEUE_ROOT = 'uah-test.';

/** What every queue of run `run` starts with. */
export function testRunPrefix(run: string): string {
  return `${TEST_QUEUE_ROOT}${run}.`;
}

/** What every queue this test process declares on the shared broker must start with. */
export const TEST_QUEUE_PREFIX = testRunPrefix(process.env[TEST_RUN_ENV] || randomBytes(4).toString('hex'));

/** A queue name (or a prefix of queue names) of this run's own: `uah-test.<run>.<label>.<random>`. */
export function testQueueName(label: string): string {
  return `${TEST_QUEUE_PREFIX}${label}.${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes every queue the buses of this process declared (work, delay and parking queues alike) whose name
 * is a test's own, and returns the names it left alone because they are not: a test must not touch queues
 * that a hub on the same broker may be using.
 */
export async function deleteDeclaredQueues(url = AMQP_URL): Promise<{ deleted: string[]; foreign: string[] }> {
  const names = declaredQueues();
  const ours = names.filter((name) => name.startsWith(TEST_QUEUE_PREFIX));
  const foreign = names.filter((name) => !name.startsWith(TEST_QUEUE_PREFIX));
  if (ours.length > 0) {
    const admin = new Connection({ url, retryHigh: 1_000 });
    try {
      for (const queue of ours) await admin.queueDelete({ queue });
    } finally {
      await admin.close();
    }
  }
  return { deleted: ours, foreign };
}

export function newEvent(organizationId: string, type: EventType, aggregateId: string, n: number): NewEvent {
  return { type, aggregateType: 'invoice', aggregateId, organizationId, data: { object: { id: aggregateId, n, note: 'ünïcode ✓' } } };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A consumer factory whose consumers record what they receive; their queues are deleted on dispose. */
export function createCollector(consumerBus: Bus, admin: Connection, run: string) {
  return async function collect(name: string, options: Partial<ConsumerOptions> & { bindings: string[] }) {
    const queue = `${TEST_QUEUE_PREFIX}${run}.${name}`;
    const received: Array<{ event: Event; delivery: Delivery }> = [];
    const consumer = await consumerBus.consume({ queue, handler: async (event, delivery) => void received.push({ event, delivery }), ...options });
    return {
      queue,
      received,
      ids: () => received.map((r) => r.event.id),
      async dispose() {
        await consumer.close();
        const retries = Array.from({ length: (options.maxAttempts ?? 5) - 1 }, (_, i) => retryQueueName(queue, i + 1));
        for (const name of [queue, parkingQueueName(queue), ...retries]) await admin.queueDelete({ queue: name });
      },
    };
  };
}

export /** Closes one connection from the server side, as a broker restart or a network cut would (once it is up). */
async function dropConnection(connectionName: string): Promise<void> {
  let pid: string | undefined;
  await waitFor(async () => {
    const { stdout } = await execFileAsync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers']);
    pid = stdout.split('\n').find((line) => line.includes(`"${connectionName}"`))?.split('\t')[0];
    return pid !== undefined;
  }, 15_000);
  await execFileAsync('rabbitmqctl', ['close_connection', pid ?? '', 'relay test: connection drop']);
}

export /** A TCP relay to RabbitMQ whose sockets can be cut at an exact moment, which `rabbitmqctl` cannot time. */
async function createCuttableProxy(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(AMQP_URL);
  const sockets = new Set<Socket>();
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5672), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${target.protocol}//${target.username}:${target.password}@127.0.0.1:${port}${target.pathname}`,
    cut,
    close: () => new Promise<void>((resolve) => {
      cut();
      server.close(() => resolve());
    }),
  };
}
