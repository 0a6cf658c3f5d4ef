/**
 * The whole run's safety net for the shared RabbitMQ. Setup names the run, so that every queue a test declares
 * starts with `uah-test.<run>.`; teardown lists the broker's queues (with `rabbitmqctl`, so only when the broker
 * is on this machine: AMQP cannot list queues) and deletes and reports the ones this run left. Without
 * `rabbitmqctl`, or when it fails, the check is skipped quietly: each file already deletes its own queues.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { AMQP_URL, TEST_QUEUE_ROOT, TEST_RUN_ENV, testRunPrefix } from '../../core/src/events/testing.js';

const execFileAsync = promisify(execFile);
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The broker's queue names, or undefined when they cannot be listed here. */
async function listQueues(): Promise<string[] | undefined> {
  if (!LOCAL_HOSTS.has(new URL(AMQP_URL).hostname)) return undefined;
  try {
    const { stdout } = await execFileAsync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name'], { timeout: 60_000 });
    return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  } catch {
    return undefined;
  }
}

export function setup(): void {
  // Test processes inherit the environment: a run id given from outside (CI's, say) is kept.
  process.env[TEST_RUN_ENV] ||= randomBytes(4).toString('hex');
}

export async function teardown(): Promise<void> {
  const run = process.env[TEST_RUN_ENV];
  const names = run ? await listQueues() : undefined;
  if (!run || !names) return;
  const prefix = testRunPrefix(run);
  const left = names.filter((name) => name.startsWith(prefix));
  const others = names.filter((name) => name.startsWith(TEST_QUEUE_ROOT) && !name.startsWith(prefix)).length;
  if (others > 0) process.stderr.write(`RabbitMQ holds ${others} test queues of other runs (uah-test.*), still running or killed; not touched.\n`);
  if (left.length === 0) return;
  const admin = new Connection({ url: AMQP_URL, retryHigh: 1_000 });
  try {
    for (const queue of left) await admin.queueDelete({ queue });
  } finally {
    await admin.close();
  }
  process.stderr.write(`This run left ${left.length} queues on RabbitMQ, now deleted (a bus never closed, a hub in a child process, or a queue declared by hand): ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', …' : ''}\n`);
}
