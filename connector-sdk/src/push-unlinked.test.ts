import { describe, expect, it } from 'vitest';
import { pushUnlinked } from './push-unlinked.js';

type Row = { id: string; status: string };

function books(count: number): { list(q: { limit: number; cursor?: string }): Promise<{ data: Row[]; nextCursor: string | null }> } {
  const rows = Array.from({ length: count }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}`, status: i % 10 === 0 ? 'CANCELLED' : 'OPEN' }));
  return {
    list: async ({ limit, cursor }) => {
      const start = cursor ? rows.findIndex((r) => r.id === cursor) + 1 : 0;
      const data = rows.slice(start, start + limit);
      return { data, nextCursor: start + limit < rows.length ? (data[data.length - 1]?.id ?? null) : null };
    },
  };
}

const linked = new Set(['r001', 'r002']);
const ctx = (signal = new AbortController().signal) => ({
  signal,
  mappings: { externalIdOf: async (_type: string, id: string) => (linked.has(id) ? `x_${id}` : undefined), internalIdOf: async () => undefined, link: async () => undefined, unlink: async () => undefined },
});

describe('pushUnlinked', () => {
  it('sends every eligible record without a mapping, over every page, and counts what the provider did and what failed', async () => {
    const sent: string[] = [];
    const result = await pushUnlinked(ctx(), {
      entityType: 'invoice',
      list: books(250).list,
      eligible: (row) => row.status !== 'CANCELLED',
      send: async (row) => {
        if (row.id === 'r003') throw new Error('refused');
        sent.push(row.id);
        return row.id === 'r004' ? 'updated' : 'created';
      },
      message: (error) => `provider: ${(error as Error).message}`,
    });
    // 250 rows: 25 cancelled and 2 linked skipped, one refused, one updated, the rest created.
    expect(result).toEqual({ created: 221, updated: 1, skipped: 27, failed: 1, errors: [{ internalId: 'r003', message: 'provider: refused' }] });
    expect(sent).toContain('r249');
    expect(sent).not.toContain('r001');
  });

  it('stops when the job is cancelled, with what it did so far', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = await pushUnlinked(ctx(controller.signal), {
      entityType: 'customer',
      list: books(50).list,
      send: async () => {
        if (++calls === 5) controller.abort();
        return 'created';
      },
      message: String,
    });
    expect(result.created).toBe(5);
  });
});
