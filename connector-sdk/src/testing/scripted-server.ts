import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A request the scripted server received, with its body read.
 *
 * @example
 * ```ts
 * const first: ReceivedRequest = server.received[0]!;
 * first.headers['idempotency-key'];
 * ```
 */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local HTTP server whose answers a test scripts, standing in for a provider's API: it records
 * every request and answers the n-th with `respond(request, n)` (n from 1). A responder that returns
 * `'hang'` never answers (for timeouts).
 *
 * @example
 * ```ts
 * const server = await startScriptedServer((_req, n) => (n < 3 ? { status: 503 } : { status: 200, json: { ok: true } }));
 * const client = createHttpClient({ baseUrl: server.url });
 * await client.get('/ping');
 * await server.close();
 * ```
 */
export interface ScriptedServer {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * What the scripted server answers. `json` is serialised with an `application/json` content type.
 *
 * @example
 * ```ts
 * const reply: ScriptedReply = { status: 429, headers: { 'retry-after': '1' }, json: { error: 'slow down' } };
 * ```
 */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

/**
 * Starts a {@link ScriptedServer} on an ephemeral loopback port.
 *
 * @example
 * ```ts
 * const server = await startScriptedServer(() => ({ status: 204 }));
 * ```
 */
export async function startScriptedServer(respond: (request: ReceivedRequest, n: number) => ScriptedReply | 'hang'): Promise<ScriptedServer> {
  const received: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const reply = respond(request, received.length);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
      const type = reply.json !== undefined ? { 'content-type': 'application/json' } : {};
      res.writeHead(reply.status, { ...type, ...(reply.headers ?? {}) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
