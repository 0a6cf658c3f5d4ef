/**
 * Group commit: items added while a batch is being written wait and go together in the next one, so a busy
 * worker makes one round trip for many items and an idle one sends each item at once (no timer, no delay).
 */
export function createBatcher<I, O>(write: (items: I[]) => Promise<O[]>, maxBatch: number): (item: I) => Promise<O> {
  const waiting: Array<{ item: I; resolve(value: O): void; reject(error: Error): void }> = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxBatch);
        try {
          const results = await write(batch.map((entry) => entry.item));
          batch.forEach((entry, i) => entry.resolve(results[i] as O));
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
