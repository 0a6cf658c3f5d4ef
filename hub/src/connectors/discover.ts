import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';

/** Where a connector was found. */
export type ConnectorOrigin = 'builtin' | 'path' | 'installed' | 'package';

export interface Candidate {
  dir: string;
  origin: ConnectorOrigin;
}

/** Folders to look in: the repository's `connectors/`, each `CONNECTORS_PATH` folder, the data folder's installs, and `node_modules`. */
export interface SearchPaths {
  builtinDir?: string | undefined;
  paths?: string[];
  installedDir?: string | undefined;
  /** npm packages with the `uah-connector` keyword in this `node_modules` are connectors too. */
  nodeModulesDir?: string | undefined;
}

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};
const subdirs = (dir: string): string[] => (isDir(dir) ? readdirSync(dir).sort().map((name) => join(dir, name)).filter(isDir) : []);
const hasManifest = (dir: string): boolean => existsSync(join(dir, 'connector.json'));

/** A folder is a connector (it has connector.json) or holds connectors one level down. */
function connectorsIn(dir: string): string[] {
  return hasManifest(dir) ? [dir] : subdirs(dir).filter(hasManifest);
}

function packageConnectors(nodeModules: string): string[] {
  const out: string[] = [];
  for (const dir of subdirs(nodeModules)) {
    for (const pkg of dir.split('/').at(-1)?.startsWith('@') ? subdirs(dir) : [dir]) {
      try {
        const json = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { keywords?: unknown };
        if (Array.isArray(json.keywords) && json.keywords.includes('uah-connector') && hasManifest(pkg)) out.push(pkg);
      } catch {
        // Not a package, or an unreadable one: not a connector.
      }
    }
  }
  return out;
}

/**
 * Every connector folder to load, each once (the first origin wins: a workspace connector is also
 * linked into node_modules).
 */
export function discover(search: SearchPaths): Candidate[] {
  const found: Candidate[] = [];
  const seen = new Set<string>();
  const add = (dirs: string[], origin: ConnectorOrigin): void => {
    for (const dir of dirs) {
      // Workspace packages are symlinks in node_modules: the same folder by its real path is found once.
      const real = realpathSync(resolve(dir));
      if (seen.has(real)) continue;
      seen.add(real);
      found.push({ dir: real, origin });
    }
  };
  if (search.builtinDir) add(subdirs(search.builtinDir).filter(hasManifest), 'builtin');
  for (const path of search.paths ?? []) add(connectorsIn(path), 'path');
  if (search.installedDir) add(subdirs(search.installedDir).filter(hasManifest), 'installed');
  if (search.nodeModulesDir) add(packageConnectors(search.nodeModulesDir), 'package');
  return found;
}

/**
 * The module to import: package.json's `exports["."]` (a string, or its `import`/`default`), else `main`,
 * else `src/index.ts`; never outside the connector's folder.
 */
export function entryOf(dir: string): string {
  let target: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: unknown };
    const dot = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.'];
    const fromExports = typeof dot === 'string' ? dot : (dot as { import?: unknown; default?: unknown } | undefined)?.import ?? (dot as { default?: unknown } | undefined)?.default;
    if (typeof fromExports === 'string') target = fromExports;
    else if (typeof pkg.main === 'string') target = pkg.main;
  } catch {
    // No package.json: the conventional entry below.
  }
  const entry = resolve(dir, target ?? 'src/index.ts');
  const inside = relative(dir, entry);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`the entry ${target ?? ''} is outside the connector's folder`);
  if (!existsSync(entry)) throw new Error(`the entry ${inside} does not exist`);
  return entry;
}
