/**
 * Builds the dashboard (dashboard/ → dashboard/dist/, which the hub serves at `/`) with Vite.
 * `--if-stale` builds only when dist/ is missing or older than a source file (what `npm start` and the
 * browser tests use, so neither serves an old or missing app); without it, always.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dashboard = join(root, 'dashboard');
const builtPage = join(dashboard, 'dist', 'index.html');
/** What the bundle is made of: the app, its page and config, and the typed client and schema types it imports. */
const SOURCES = ['dashboard/src', 'dashboard/public', 'dashboard/index.html', 'dashboard/vite.config.ts', 'dashboard/package.json', 'client/src', 'schemas/src'];

function newestIn(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestIn(join(path, name))));
}

export function dashboardIsStale(): boolean {
  if (!existsSync(builtPage)) return true;
  const built = statSync(builtPage).mtimeMs;
  return SOURCES.some((source) => newestIn(join(root, source)) > built);
}

/**
 * Builds into a folder of its own, then swaps it in: a hub serving dist/ meanwhile never sees it half
 * written, and two builds at once each swap in a whole app.
 */
export function buildDashboard(): void {
  const vite = join(root, 'node_modules', '.bin', 'vite');
  if (!existsSync(vite)) throw new Error('Vite is not installed (npm ci installs it): the dashboard cannot be built.');
  const fresh = join(dashboard, `.dist-build-${process.pid}`);
  const old = join(dashboard, `.dist-old-${process.pid}`);
  try {
    // Always the production build of React, whatever NODE_ENV the caller runs under (a test runner sets `test`).
    execFileSync(vite, ['build', '--mode', 'production', '--logLevel', 'warn', '--outDir', fresh, '--emptyOutDir'], { cwd: dashboard, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    const dist = join(dashboard, 'dist');
    if (existsSync(dist)) renameSync(dist, old);
    renameSync(fresh, dist);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}

/** Builds when stale; true when a build ran. */
export function ensureDashboardBuilt(): boolean {
  if (!dashboardIsStale()) return false;
  buildDashboard();
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  try {
    if (!ifStale) buildDashboard();
    else if (ensureDashboardBuilt()) process.stdout.write('built the dashboard → dashboard/dist\n');
  } catch (error) {
    // `npm start` goes on without it (the hub says how to build it at `/`); `npm run build` fails.
    process.stderr.write(`${(error as Error).message}\n`);
    if (!ifStale) process.exit(1);
  }
}
