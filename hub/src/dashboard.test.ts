import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from './dashboard.js';

const PAGE = '<!doctype html><title>app</title><div id="root"></div>';

/** A GET with the path sent exactly as written (fetch would normalise `..` away). */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; type: string; cache: string; csp: string; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers: { accept: 'text/html' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          cache: String(res.headers['cache-control'] ?? ''),
          csp: String(res.headers['content-security-policy'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject).end();
  });
}

async function serve(root: string): Promise<{ server: Server; url: string }> {
  const app = new Koa();
  // Stands for the API's router: it answers its own paths, and the app comes after it.
  app.use(async (ctx, next) => {
    if (ctx.path === '/v1/ping') ctx.body = { pong: true };
    else await next();
  });
  app.use(serveDashboard({ root }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the dashboard files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uah-dashboard-'));
  const root = join(dir, 'dist');
  let hub: { server: Server; url: string };
  let unbuilt: { server: Server; url: string };

  beforeAll(async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), PAGE);
    writeFileSync(join(root, 'assets', 'index-AbC123.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'index-AbC123.css'), 'body{}');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET');
    hub = await serve(root);
    unbuilt = await serve(join(dir, 'missing'));
  });
  afterAll(() => {
    hub.server.close();
    unbuilt.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / and at any path the app routes, revalidated and locked down', async () => {
    for (const path of ['/', '/index.html', '/integrations/sample', '/webhooks/whe_1/deliveries']) {
      const res = await rawGet(hub.url, path);
      expect(res, path).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache', body: PAGE });
      expect(res.csp).toContain("script-src 'self'");
      expect(res.csp).toContain("frame-ancestors 'none'");
    }
    expect((await rawGet(hub.url, '/', 'HEAD')).status).toBe(200);
  });

  it('serves assets with their content types, hashed ones cached for good', async () => {
    expect(await rawGet(hub.url, '/assets/index-AbC123.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=31536000, immutable', body: 'console.log(1)' });
    expect(await rawGet(hub.url, '/assets/index-AbC123.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await rawGet(hub.url, '/favicon.svg')).toMatchObject({ status: 200, type: 'image/svg+xml', cache: 'no-cache' });
    // A missing asset is a 404, never the page (a stale page must not run HTML as a script).
    expect(await rawGet(hub.url, '/assets/index-old.js')).toMatchObject({ status: 404, body: expect.not.stringContaining('<div id="root">') });
  });

  it('leaves API paths and other methods to the API', async () => {
    expect(JSON.parse((await rawGet(hub.url, '/v1/ping')).body)).toEqual({ pong: true });
    for (const path of ['/v1/nothing', '/v1', '/health/x', '/metrics']) expect((await rawGet(hub.url, path)).status, path).toBe(404);
    expect((await rawGet(hub.url, '/', 'POST')).status).toBe(404);
  });

  it('never reads outside its folder, however the path is spelled', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/assets/%E0%A4%A.js', '//etc/passwd']) {
      const res = await rawGet(hub.url, path);
      expect(res.body, path).not.toContain('TOP SECRET');
      expect(res.body, path).not.toContain('root:');
    }
  });

  it('says how to build it when it is not built', async () => {
    const res = await rawGet(unbuilt.url, '/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('npm run build');
  });
});
