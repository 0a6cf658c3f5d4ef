import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small local CRM API: customers with a cursor and `updated_since`, an account, bearer keys. */
export interface CrmEmulator {
  url: string;
  customers: Array<{ id: string; name: string; email: string | null; updated_at: string }>;
  /** Every request line received, e.g. `GET /v1/customers?limit=50`. */
  received: string[];
  /** From the `n`-th customer-list request on (counted from now), answers 503: a provider outage mid-sync. `0` ends it. */
  failListsFrom(n: number): void;
  sign(body: string, secret: string): string;
  close(): Promise<void>;
}

const PAGE = 2;

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
}

export async function startCrmEmulator(apiKey: string): Promise<CrmEmulator> {
  const customers: CrmEmulator['customers'] = [];
  const received: string[] = [];
  let failFrom = 0;
  let lists = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      received.push(`${req.method} ${req.url}`);
      const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: 'invalid api key' });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v1/account') return send(200, { account: 'acct_sample' });
      if (url.pathname === '/v1/customers' && req.method === 'POST') {
        const body = await bodyOf(req);
        const created = { id: `crm_${customers.length + 1}`, name: String(body['name']), email: (body['email'] as string | null) ?? null, updated_at: new Date().toISOString() };
        customers.push(created);
        return send(201, created);
      }
      if (url.pathname === '/v1/customers') {
        lists += 1;
        if (failFrom > 0 && lists >= failFrom) return send(503, { error: 'try later' });
        const since = url.searchParams.get('updated_since');
        const matching = customers.filter((c) => !since || c.updated_at >= since);
        const start = Number(url.searchParams.get('cursor') ?? 0);
        const next = start + PAGE < matching.length ? String(start + PAGE) : null;
        return send(200, { data: matching.slice(start, start + PAGE), next_cursor: next });
      }
      send(404, { error: 'not found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    customers,
    received,
    failListsFrom: (n) => {
      failFrom = n;
      lists = 0;
    },
    sign: (body, secret) => createHmac('sha256', secret).update(body).digest('hex'),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
