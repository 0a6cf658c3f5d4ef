/**
 * Builds the packages others install (schemas, connector-sdk, client) into `<package>/dist/`: ESM
 * JavaScript with type declarations, a package.json fit to publish (exports, files, versions, licence) and
 * the README and licence; for the client also a browser bundle. `npm pack ./client/dist` makes the tarball.
 * In the repository the packages export their TypeScript sources, so nothing needs building to develop.
 * Then the dashboard (dashboard/dist, when older than its sources), which the hub serves at `/`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDashboardBuilt } from './build-dashboard.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Manifest {
  name: string;
  version: string;
  description?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const PACKAGES = ['schemas', 'connector-sdk', 'client'] as const;
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string; engines: Record<string, string> };

function build(folder: (typeof PACKAGES)[number]): void {
  const dir = join(root, folder);
  const dist = join(dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  execFileSync(bin('tsc'), ['-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  // Generated validators are JavaScript with declarations beside them, and the components are JSON.
  const generated = join(dir, 'src', 'generated');
  if (existsSync(generated)) {
    for (const file of readdirSync(generated).filter((f) => /\.(js|d\.ts|json)$/.test(f))) copyFileSync(join(generated, file), join(dist, 'generated', file));
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const exports: Record<string, unknown> = { '.': { types: './index.d.ts', default: './index.js' } };
  if (folder === 'client') exports['./browser'] = './browser.js';
  const published = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    license: rootManifest.license,
    type: 'module',
    engines: { node: rootManifest.engines['node'] },
    exports,
    types: './index.d.ts',
    files: ['**/*.js', '**/*.d.ts', '**/*.json', 'README.md', 'LICENSE'],
    sideEffects: false,
    ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
    ...(manifest.peerDependencies ? { peerDependencies: manifest.peerDependencies } : {}),
  };
  writeFileSync(join(dist, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  copyFileSync(join(root, 'LICENSE'), join(dist, 'LICENSE'));
  if (existsSync(join(dir, 'README.md'))) copyFileSync(join(dir, 'README.md'), join(dist, 'README.md'));
  if (folder === 'client') {
    // The browser bundle: global fetch and WebSocket, no Node built-ins (so no verifyWebhook); `ws` is never loaded there.
    execFileSync(bin('esbuild'), [join(dist, 'portable.js'), '--bundle', '--format=esm', '--platform=browser', '--target=es2022', `--outfile=${join(dist, 'browser.js')}`, '--external:ws'], { stdio: 'inherit', cwd: root });
  }
  process.stdout.write(`built ${manifest.name}@${manifest.version} → ${folder}/dist\n`);
}

for (const folder of PACKAGES) build(folder);
if (ensureDashboardBuilt()) process.stdout.write('built the dashboard → dashboard/dist (served by the hub at /)\n');
