import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A provider for sync tests: records served two per page (`/page?cursor=`), invoices (`/invoices`), a
 * count of syncs inside `/enter` … `/leave` (to see two running at once), and a page that can be held
 * until the test releases it (to stop a process half-way through a run).
 */
export interface ProviderStub {
  url: string;
  records: Array<{ id: string; name: string }>;
  invoices: Array<{ id: string; issue: boolean }>;
  /** `cursor job` of each page request, in order. */
  pages: string[];
  maxActive: number;
  /** Each page answers after this many ms. */
  delayMs: number;
  /** Holds the request for the page at `cursor`; resolves once it has arrived. */
  holdAt(cursor: number): Promise<void>;
  release(): void;
  reset(): void;
  close(): Promise<void>;
}

const PAGE = 2;

export async function startProviderStub(): Promise<ProviderStub> {
  let held: { cursor: number; arrived: () => void; release?: () => void } | undefined;
  let active = 0;
  const stub = {
    records: [], invoices: [], pages: [], maxActive: 0, delayMs: 0,
  } as unknown as ProviderStub;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/enter') {
        active += 1;
        stub.maxActive = Math.max(stub.maxActive, active);
        return send({});
      }
      if (url.pathname === '/leave') {
        active -= 1;
        return send({});
      }
      if (url.pathname === '/invoices') return send(stub.invoices);
      if (url.pathname === '/page') {
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        stub.pages.push(`${cursor} ${url.searchParams.get('job') ?? ''}`);
        if (held && held.cursor === cursor) {
          const wait = new Promise<void>((resolve) => held && (held.release = resolve));
          held.arrived();
          await wait;
        }
        if (stub.delayMs) await new Promise((r) => setTimeout(r, stub.delayMs));
        const next = cursor + PAGE < stub.records.length ? cursor + PAGE : null;
        return send({ data: stub.records.slice(cursor, cursor + PAGE), next });
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdAt: (cursor: number) => new Promise<void>((arrived) => (held = { cursor, arrived })),
    release: () => {
      held?.release?.();
      held = undefined;
    },
    reset: () => {
      stub.pages = [];
      stub.maxActive = 0;
      active = 0;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

/** A connector that pulls the stub's records as customers, two per page, checkpointing the cursor after each page. */
export const PAGER_SOURCE = `import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
export default defineConnector({
  manifest,
  sync: {
    customer: async (ctx, job) => {
      const api = ctx.http({ baseUrl: ctx.config.baseUrl, retries: 0 });
      const result = { created: 0, updated: 0, skipped: 0, failed: 0 };
      let cursor = job.full && !job.resumed ? 0 : ((await ctx.syncState.get('cp')) ?? 0);
      await api.get('/enter');
      try {
        while (cursor !== null) {
          const page = await api.get('/page', { query: { cursor, job: job.id } });
          for (const r of page.data) {
            if (await ctx.mappings.internalIdOf('customer', r.id)) { result.skipped += 1; continue; }
            const made = await ctx.entities.customers.create({ businessName: r.name });
            await ctx.mappings.link('customer', made.id, r.id);
            result.created += 1;
          }
          cursor = page.next;
          if (cursor !== null) await ctx.syncState.set('cp', cursor);
        }
        await ctx.syncState.delete('cp');
      } finally {
        await api.get('/leave').catch(() => undefined);
      }
      return result;
    },
    invoice: async (ctx) => {
      const api = ctx.http({ baseUrl: ctx.config.baseUrl, retries: 0 });
      const result = { created: 0, updated: 0, skipped: 0, failed: 0 };
      for (const r of await api.get('/invoices')) {
        if (await ctx.mappings.internalIdOf('invoice', r.id)) { result.skipped += 1; continue; }
        let customerId = await ctx.syncState.get('customer');
        if (!customerId) {
          customerId = (await ctx.entities.customers.create({ businessName: 'Invoiced' })).id;
          await ctx.syncState.set('customer', customerId);
        }
        const draft = await ctx.entities.invoices.createDraft({ customerId, lines: [{ description: r.id, quantity: '1', unitPrice: 1000 }] });
        if (r.issue) await ctx.entities.invoices.issue(draft.id, {});
        await ctx.mappings.link('invoice', draft.id, r.id);
        result.created += 1;
      }
      return result;
    },
  },
  actions: { echo: async (ctx, input) => input },
});
`;
