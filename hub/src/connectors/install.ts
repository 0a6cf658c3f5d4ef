import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateManifest } from '@uah/connector-sdk';

const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'connector-sdk');

/** Unpacks an npm tarball (its files under `package/`) into a temporary folder. */
function unpack(tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'uah-install-'));
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  const inner = join(dir, 'package');
  return existsSync(inner) ? inner : dir;
}

/** `npm pack` of a package from the registry, into a temporary folder. */
function fetchPackage(spec: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'uah-pack-'));
  const name = execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
  return join(dir, name);
}

/**
 * Installs a connector from a folder, an npm tarball (`.tgz`) or a package name into
 * `<installedDir>/<id>@<version>`, after checking its manifest. Connectors installed there import this
 * hub's `@uah/connector-sdk` (linked once into `<installedDir>/node_modules`). The running hub lists it
 * at the next catalog read: no restart.
 */
export function installConnector(source: string, installedDir: string): { id: string; version: string; dir: string } {
  const local = existsSync(source);
  const folder = local && statSync(source).isDirectory() ? resolve(source) : unpack(local ? resolve(source) : fetchPackage(source));
  const checked = validateManifest(JSON.parse(readFileSync(join(folder, 'connector.json'), 'utf8')));
  if (!checked.valid) throw new Error(`the connector's manifest is not valid: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
  const { id, version } = checked.manifest;
  const target = join(installedDir, `${id}@${version}`);
  if (existsSync(target)) throw new Error(`${id}@${version} is installed already (${target})`);
  mkdirSync(installedDir, { recursive: true });
  cpSync(folder, target, { recursive: true, filter: (path) => !path.split('/').includes('node_modules') && !path.split('/').includes('.git') });
  const link = join(installedDir, 'node_modules', '@uah', 'connector-sdk');
  if (!existsSync(link)) {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(sdkDir, link, 'dir');
  }
  // The SDK's own dependencies resolve from the hub's node_modules through the link's real path.
  return { id, version, dir: target };
}
