import { testQueueName } from '../core/src/events/testing.js';

/**
 * The queue settings of a hub under test: its webhook queue and its connectors' queues (each with delay and
 * parking queues) under this run's prefix, so two files never share a queue, the file's setup deletes those
 * of an in-process hub after its tests, and the run's teardown finds any left by a hub in a child process.
 * Spread into `loadConfig({ ... })` or a child's environment.
 */
export function testHubQueues(): { WEBHOOK_QUEUE: string; CONNECTOR_QUEUE_PREFIX: string } {
  const hub = testQueueName('hub');
  return { WEBHOOK_QUEUE: `${hub}.webhooks`, CONNECTOR_QUEUE_PREFIX: `${hub}.connector` };
}
