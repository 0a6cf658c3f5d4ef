import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compareVersions, parseVersion, validateManifest, type ConnectorManifest } from '@uah/connector-sdk';
import { discover, entryOf, type ConnectorOrigin, type SearchPaths } from './discover.js';
import { HandlerFailure, startConnectorWorker, type WorkerLimits } from './worker/connector-worker.js';
import type { ModuleDescription } from './worker/protocol.js';

/** Why an installed connector cannot be used. */
export type UnavailableCode = 'MANIFEST_INVALID' | 'SDK_RANGE' | 'IMPORT_FAILED' | 'IMPORT_TIMEOUT' | 'MODULE_MISMATCH' | 'DUPLICATE';

/** One installed version of a connector, usable or not. */
export interface CatalogEntry {
  id: string;
  version: string;
  dir: string;
  origin: ConnectorOrigin;
  available: boolean;
  problem?: { code: UnavailableCode; message: string };
  manifest?: ConnectorManifest;
  entry?: string;
  module?: ModuleDescription;
}

export interface CatalogOptions {
  search: SearchPaths;
  limits: WorkerLimits;
  loadTimeoutMs: number;
  /** The hub's own folders (its data folder), closed to connectors' file calls, from their import on. */
  protectedPaths?: readonly string[];
  /** Resolve at once and load in the background (the hub serves while connectors import); `ready()` waits. */
  background?: boolean;
}

export interface Catalog {
  /** Every installed version of every connector, by id then version. */
  list(): CatalogEntry[];
  /** The installed versions of one connector, newest first. */
  versions(id: string): CatalogEntry[];
  /** A version, or the newest available one. */
  get(id: string, version?: string): CatalogEntry | undefined;
  /** Looks again for connector folders and loads the new ones (an install needs no restart). */
  refresh(): Promise<void>;
  /** Called after a refresh that added connectors (the event router subscribes them). */
  onAdded(listener: () => void | Promise<void>): void;
  /** Resolves once the first load has ended. */
  ready(): Promise<void>;
}

function rawIdentity(raw: unknown, dir: string): { id: string; version: string } {
  const r = (raw ?? {}) as { id?: unknown; version?: unknown };
  return {
    id: typeof r.id === 'string' && r.id.length <= 64 ? r.id : basename(dir),
    version: typeof r.version === 'string' && r.version.length <= 100 ? r.version : '0.0.0',
  };
}

function mismatch(manifest: ConnectorManifest, module: ModuleDescription): string | undefined {
  if (module.id !== manifest.id || module.version !== manifest.version) return `the module is ${module.id}@${module.version}, the manifest ${manifest.id}@${manifest.version}`;
  const syncs = manifest.dataTypes.map((d) => d.type).sort().join(',');
  if (module.sync.slice().sort().join(',') !== syncs) return `the module's sync handlers (${module.sync.join(', ')}) do not match the manifest's data types (${syncs})`;
  const actions = manifest.actions.map((a) => a.name).sort().join(',');
  if (module.actions.slice().sort().join(',') !== actions) return `the module's actions do not match the manifest's (${actions})`;
  return undefined;
}

/** Reads, validates and imports one connector folder; never throws: a problem makes it unavailable. */
export async function loadConnector(dir: string, origin: ConnectorOrigin, options: Pick<CatalogOptions, 'limits' | 'loadTimeoutMs' | 'protectedPaths'>): Promise<CatalogEntry> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, 'connector.json'), 'utf8'));
  } catch (error) {
    return { ...rawIdentity(undefined, dir), dir, origin, available: false, problem: { code: 'MANIFEST_INVALID', message: `connector.json cannot be read: ${(error as Error).message}` } };
  }
  const base = { ...rawIdentity(raw, dir), dir, origin };
  const checked = validateManifest(raw);
  if (!checked.valid) {
    const range = checked.issues.find((i) => i.path === '/sdk' && i.message.includes('does not accept'));
    const code: UnavailableCode = range && checked.issues.length === 1 ? 'SDK_RANGE' : 'MANIFEST_INVALID';
    return { ...base, available: false, problem: { code, message: checked.issues.map((i) => `${i.path} ${i.message}`).join('; ') } };
  }
  const manifest = checked.manifest;
  let entry: string;
  try {
    entry = entryOf(dir);
  } catch (error) {
    return { ...base, manifest, available: false, problem: { code: 'IMPORT_FAILED', message: (error as Error).message } };
  }
  try {
    // The import runs in a worker of its own: a module that throws, spins or leaks at import cannot reach the hub.
    const probe = await startConnectorWorker({ entry, dir, allowedHosts: manifest.allowedHosts ?? [], protectedPaths: options.protectedPaths ?? [], limits: options.limits, loadTimeoutMs: options.loadTimeoutMs, serve: () => Promise.reject(new Error('no call')), log: () => undefined });
    await probe.terminate();
    const wrong = mismatch(manifest, probe.module);
    if (wrong) return { ...base, manifest, entry, available: false, problem: { code: 'MODULE_MISMATCH', message: wrong } };
    return { ...base, manifest, entry, module: probe.module, available: true };
  } catch (error) {
    const timedOut = error instanceof HandlerFailure && error.reason === 'TIMEOUT';
    return { ...base, manifest, entry, available: false, problem: { code: timedOut ? 'IMPORT_TIMEOUT' : 'IMPORT_FAILED', message: (error as Error).message } };
  }
}

const newestFirst = (a: CatalogEntry, b: CatalogEntry): number => {
  const va = parseVersion(a.version);
  const vb = parseVersion(b.version);
  return va && vb ? compareVersions(vb, va) : b.version.localeCompare(a.version);
};

/** The catalog of installed connectors, loaded once and refreshed on demand. */
export async function createCatalog(options: CatalogOptions): Promise<Catalog> {
  const entries: CatalogEntry[] = [];
  const loaded = new Set<string>();
  let refreshing: Promise<void> | undefined;
  const listeners: Array<() => void | Promise<void>> = [];

  async function refresh(): Promise<void> {
    const fresh = discover(options.search).filter((c) => !loaded.has(c.dir));
    for (const c of fresh) loaded.add(c.dir);
    // One at a time: each import starts a thread that compiles the connector, and the machine has few cores.
    const results: CatalogEntry[] = [];
    for (const c of fresh) results.push(await loadConnector(c.dir, c.origin, options));
    for (const entry of results) {
      const twin = entries.find((e) => e.id === entry.id && e.version === entry.version && e.available);
      if (twin && entry.available) entries.push({ ...entry, available: false, problem: { code: 'DUPLICATE', message: `${entry.id}@${entry.version} is already installed from ${twin.dir}` } });
      else entries.push(entry);
    }
    if (results.length > 0) for (const listener of listeners) await listener();
  }
  const first = refresh();
  refreshing = first.finally(() => (refreshing = undefined));
  if (!options.background) await first;

  return {
    list: () => [...entries].sort((a, b) => a.id.localeCompare(b.id) || newestFirst(a, b)),
    versions: (id) => entries.filter((e) => e.id === id).sort(newestFirst),
    get(id, version) {
      const versions = entries.filter((e) => e.id === id).sort(newestFirst);
      return version ? versions.find((e) => e.version === version) : versions.find((e) => e.available);
    },
    refresh() {
      refreshing ??= refresh().finally(() => (refreshing = undefined));
      return refreshing;
    },
    onAdded(listener) {
      listeners.push(listener);
    },
    ready: () => first,
  };
}
