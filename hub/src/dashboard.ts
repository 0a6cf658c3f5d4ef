import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

/** Where `npm run build` puts the dashboard. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths the API owns: never answered with the app, so an unknown API route stays a problem+json 404. */
const API_PATHS = /^\/(v1|health|ready|metrics)(\/|$)/;
/** The bundler names assets by their content hash: they never change, so browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * What the app's page may do: scripts and styles from the hub only (no inline script), API calls and the
 * event stream to the hub only, never framed. Inline style attributes are allowed (the form library sets some).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body><main><h1>The dashboard is not built</h1><p>Run <code>npm run build</code>, then reload this page. The API is served under <code>/v1</code>.</p></main></body></html>`;

export interface DashboardOptions {
  /** The built app (its index.html and assets/). @default dashboard/dist of this repository */
  root?: string;
}

function fileIn(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const file = resolve(root, `.${decoded}`);
  // Whatever the spelling (`..`, encoded slashes), the file must be inside the app's folder.
  if (!file.startsWith(root + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the dashboard: its files with their content types (hashed assets cached for good, the page
 * revalidated on every load), and the page itself for any other path a browser navigates to (the app
 * routes in the browser). Comes after the API's router: API paths are never answered here.
 */
export function serveDashboard(options: DashboardOptions = {}) {
  const root = resolve(options.root ?? DEFAULT_DASHBOARD_DIR);
  return async function dashboard(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404 || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || API_PATHS.test(ctx.path)) return;
    const index = join(root, 'index.html');
    const asset = ctx.path === '/' ? undefined : fileIn(root, ctx.path);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (asset && asset !== index) {
      ctx.set('Cache-Control', asset.startsWith(join(root, 'assets') + sep) ? IMMUTABLE : 'no-cache');
      ctx.type = CONTENT_TYPES[extname(asset).toLowerCase()] ?? 'application/octet-stream';
      ctx.length = statSync(asset).size;
      ctx.body = createReadStream(asset);
      return;
    }
    // A missing asset is a 404, not the page: a stale page asking for an old bundle must not get HTML.
    if (extname(ctx.path) !== '' && extname(ctx.path) !== '.html') return;
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = CONTENT_TYPES['.html'] ?? 'text/html';
    if (!existsSync(index)) {
      ctx.status = 503;
      ctx.body = NOT_BUILT;
      return;
    }
    ctx.status = 200;
    ctx.body = createReadStream(index);
  };
}
