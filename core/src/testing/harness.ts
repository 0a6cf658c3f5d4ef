import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { createCore, type Core, type CoreOptions } from '../core.js';
import { createMemoryBus } from '../events/memory-bus.js';
import type { Bus } from '../events/bus.js';
import { createTestDatabase } from './database.js';
import { createResponseChecker } from './openapi-check.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token';

// Tests read bodies loosely on purpose: every body is checked against the OpenAPI document instead.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is, with the content type given in headers). */
  raw?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestHub {
  core: Core;
  bus: Bus;
  /** Where the hub writes outgoing mail (.eml files). */
  outboxDir: string;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  baseUrl: string;
  /** Calls the API; every response is checked against the OpenAPI document. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ApiResponse
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Creates an organization; later requests use its key unless they name another token. */
  createOrganization(name?: string, baseCurrency?: string): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

/** The core on a test database of its own and the in-process bus, served on an ephemeral port. */
export async function createTestHub(options: Partial<Pick<CoreOptions, 'rateLimit' | 'extraRoutes' | 'idempotencyFaults' | 'webhooks' | 'groupCommit'>> & { bus?: Bus; logger?: pino.Logger } = {}): Promise<TestHub> {
  const db = await createTestDatabase();
  const logger = options.logger ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const bus = options.bus ?? createMemoryBus({ logger });
  // Mail is written as .eml files into a folder of the hub's own, removed on close.
  const mailDir = mkdtempSync(join(tmpdir(), 'uah-mail-'));
  const outboxDir = join(mailDir, 'outbox');
  const core = createCore({
    knex: db.knex,
    bus,
    logger,
    adminToken: { verify: async (token) => token === TEST_ADMIN_TOKEN },
    rateLimit: options.rateLimit ?? { limit: 100_000, windowSeconds: 60 },
    mail: { outboxDir },
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    ...(options.idempotencyFaults ? { idempotencyFaults: options.idempotencyFaults } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...(options.groupCommit ? { groupCommit: options.groupCommit } : {}),
  });
  const handle = core.app.callback();
  // Koa's handler settles its own promise (errors are rendered by the app), so nothing is left floating.
  const server: Server = createServer((req, res) => void handle(req, res));
  // Tests block the event loop at times (a child process run synchronously): an idle connection must not be
  // closed by the server just as the client reuses it, so the server keeps it longer than any such pause.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const check = createResponseChecker(core.openapi());
  let defaultToken: string | null = null;

  const hub: TestHub = {
    core,
    bus,
    db,
    outboxDir,
    baseUrl,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const token = opts.token === undefined ? defaultToken : opts.token;
      if (token) headers['authorization'] = `Bearer ${token}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const contentType = res.headers.get('content-type') ?? '';
      const isJson = /json/.test(contentType);
      const parsed: unknown = isJson ? await res.json() : contentType.startsWith('application/pdf') ? Buffer.from(await res.arrayBuffer()) : await res.text();
      check(method, path, res.status, contentType, parsed);
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
    async createOrganization(name = 'Test Org', baseCurrency = 'USD') {
      const res = await hub.request('POST', '/v1/organizations', { token: TEST_ADMIN_TOKEN, body: { name, baseCurrency } });
      if (res.status !== 201) throw new Error(`organization not created: ${JSON.stringify(res.body)}`);
      defaultToken ??= res.body.apiKey as string;
      return { id: res.body.id as string, apiKey: res.body.apiKey as string };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
      if (!options.bus) await bus.close();
      await db.close();
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
  return hub;
}

/**
 * Waits, if need be, until the rate limiter's current fixed window (`windowSeconds` long, aligned to the epoch as
 * the limiter aligns it) has at least `marginMs` left: requests a test counts against a limit then fall in one
 * window, where a window starting between them would reset the count.
 */
export async function clearOfRateWindowEdge(windowSeconds: number, marginMs = 10_000): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
