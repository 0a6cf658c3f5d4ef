/**
 * Runs in every test file: after its tests (and its own `afterAll` hooks, which close its hubs and buses), the
 * queues its RabbitMQ buses declared are deleted. A hub's durable quorum queues outlive it otherwise, one work
 * queue with its delay and parking queues per connector and webhook worker, and a broker holding thousands of
 * them stops answering.
 */
import { afterAll } from 'vitest';
import { deleteDeclaredQueues } from '../../core/src/events/testing.js';

afterAll(async () => {
  const { foreign } = await deleteDeclaredQueues();
  // Deleting these could break a hub that shares the broker (another test file, or a developer's own), so
  // they stay, and the file fails: name test queues with `testQueueName` (or `testHubQueues` for a hub).
  if (foreign.length > 0) throw new Error(`queues declared outside this run's prefix, left on the broker: ${foreign.join(', ')}`);
}, 60_000);
