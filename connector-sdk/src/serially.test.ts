import { describe, expect, it } from 'vitest';
import { createKeyedQueue } from './serially.js';

describe('createKeyedQueue', () => {
  it('runs the work of one key one at a time in order, other keys alongside, and goes on after a failure', async () => {
    const queue = createKeyedQueue();
    const order: string[] = [];
    const step = (name: string, ms: number, fail = false) => async (): Promise<string> => {
      order.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run('a', step('a1', 30, true)), queue.run('a', step('a2', 1)), queue.run('b', step('b1', 5))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(order).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
  });
});
