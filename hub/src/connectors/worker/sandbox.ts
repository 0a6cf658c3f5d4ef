/**
 * Closes the ways around `allowedHosts` that Node's own modules open, inside a connector's worker and
 * before the connector is imported. Every TCP or TLS connection (node:net, node:tls, node:http(s),
 * http2, fetch/undici all end in `net.Socket.prototype.connect`) must go to a host the manifest
 * declares, resolved through the URL guard's lookup (so a declared name that resolves to a private
 * address is refused unless private targets are allowed); DNS queries are held to the same hosts (no
 * exfiltration through names); UDP, listening sockets, child processes, nested workers, the inspector
 * and native addons are refused outright; the hub's own files (its data folder: the secret key, the
 * embedded database, the mail outbox) cannot be read or written, except the connector's own folder when
 * it was installed there. Refusals are errors with the code `SANDBOX_REFUSED`: a handler
 * that lets one escape fails like any other failure and is counted on the integration.
 */
import type * as ChildProcessModule from 'node:child_process';
import type * as DgramModule from 'node:dgram';
import type * as DnsModule from 'node:dns';
import type * as FsModule from 'node:fs';
import type * as InspectorModule from 'node:inspector';
import type * as NetModule from 'node:net';
import type * as WorkerThreadsModule from 'node:worker_threads';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename, dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressProblem, hostMatches, safeLookup } from '@uah/connector-sdk';

// The modules' own export objects (an ESM namespace cannot be changed); `import` of them follows after syncBuiltinESMExports().
const require = createRequire(import.meta.url);
const childProcess = require('node:child_process') as typeof ChildProcessModule;
const dgram = require('node:dgram') as typeof DgramModule;
const dns = require('node:dns') as typeof DnsModule;
const fs = require('node:fs') as typeof FsModule;
const inspector = require('node:inspector') as typeof InspectorModule;
const net = require('node:net') as typeof NetModule;
const workerThreads = require('node:worker_threads') as typeof WorkerThreadsModule;

export interface SandboxPolicy {
  allowedHosts: readonly string[];
  allowPrivate: boolean;
  /** Folders the connector may neither read nor write (absolute), but for `readablePaths` inside them. */
  protectedPaths?: readonly string[];
  /** Folders inside a protected one that stay open: the connector's own. */
  readablePaths?: readonly string[];
}

export class SandboxRefusal extends Error {
  override readonly name = 'SandboxRefusal';
  readonly code = 'SANDBOX_REFUSED';
}

type Fn = (...args: unknown[]) => unknown;

function refuseAll(target: object, names: string[], what: string): void {
  for (const name of names) {
    if (typeof (target as Record<string, unknown>)[name] !== 'function') continue;
    Object.defineProperty(target, name, {
      value: () => {
        throw new SandboxRefusal(`${what} is not allowed in a connector`);
      },
      writable: false,
      configurable: false,
    });
  }
}

/** The connect arguments as one options object (`connect(options)`, `connect(port, host)`, `connect(path)`, or net's own normalised array). */
function optionsOf(args: unknown[]): { options: Record<string, unknown>; callback?: Fn } {
  const callback = args.find((a): a is Fn => typeof a === 'function');
  const first = args[0];
  if (Array.isArray(first)) return { options: { ...(first[0] as Record<string, unknown>) }, ...(typeof first[1] === 'function' ? { callback: first[1] as Fn } : {}) };
  if (first !== null && typeof first === 'object') return { options: { ...(first as Record<string, unknown>) }, ...(callback ? { callback } : {}) };
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { options: { path: first }, ...(callback ? { callback } : {}) };
  return { options: { port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost' }, ...(callback ? { callback } : {}) };
}

function guardSockets(policy: SandboxPolicy): void {
  const original = net.Socket.prototype.connect as unknown as Fn;
  const lookup = safeLookup({ allowPrivate: policy.allowPrivate });
  const allowed = (host: string): boolean => policy.allowedHosts.some((pattern) => hostMatches(host.replace(/^\[|\]$/g, ''), pattern));
  (net.Socket.prototype as unknown as { connect: Fn }).connect = function connect(this: NetModule.Socket, ...args: unknown[]) {
    const { options, callback } = optionsOf(args);
    const host = typeof options['host'] === 'string' ? options['host'] : 'localhost';
    let refused: string | undefined;
    if (typeof options['path'] === 'string') refused = 'connecting to a local socket is not allowed in a connector';
    else if (!allowed(host)) refused = `connecting to ${host}, a host the manifest does not declare in allowedHosts, is not allowed in a connector`;
    else if (net.isIP(host)) {
      const problem = addressProblem(host, { allowPrivate: policy.allowPrivate });
      if (problem) refused = `connecting to ${host} is refused: ${problem}`;
    }
    if (refused) {
      const error = new SandboxRefusal(refused);
      // As a failed connection reports itself: an 'error' event on the socket, never a throw in the caller's stack.
      process.nextTick(() => this.destroy(error));
      return this;
    }
    // A name is resolved through the guard's lookup (whatever lookup the caller passed): its every address must be allowed.
    return original.call(this, { ...options, lookup }, ...(callback ? [callback] : []));
  };
  refuseAll(net.Server.prototype, ['listen'], 'listening for connections');
}

function guardDns(policy: SandboxPolicy): void {
  const allowed = (host: unknown): boolean => typeof host === 'string' && policy.allowedHosts.some((pattern) => hostMatches(host, pattern));
  const wrap = (target: Record<string, unknown>, name: string): void => {
    const original = target[name];
    if (typeof original !== 'function') return;
    target[name] = function guarded(this: unknown, host: unknown, ...rest: unknown[]) {
      if (allowed(host)) return (original as Fn).call(this, host, ...rest);
      const error = new SandboxRefusal(`resolving ${String(host)}, a host the manifest does not declare, is not allowed in a connector`);
      const callback = rest.find((a): a is Fn => typeof a === 'function');
      if (callback) return void process.nextTick(() => callback(error));
      return Promise.reject(error);
    };
  };
  const names = (target: object): string[] => Object.getOwnPropertyNames(target).filter((n) => n === 'lookup' || n.startsWith('resolve'));
  for (const target of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype] as unknown as Array<Record<string, unknown>>) {
    for (const name of names(target)) wrap(target, name);
    refuseAll(target, ['reverse', 'lookupService', 'setServers'], 'this DNS call');
  }
}

/** Where a path really leads: symbolic links followed as far as the path exists. */
function realPath(path: string, realpath: (p: string) => string): string {
  try {
    return realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(realPath(parent, realpath), basename(path));
  }
}

/**
 * Every fs function (callback, sync and promise forms) refuses a path argument that leads into a
 * protected folder, as written or through symbolic links. File descriptors and handles are not paths:
 * one can only be had from an allowed path.
 */
function guardFiles(policy: SandboxPolicy): void {
  const realpath = fs.realpathSync.native.bind(fs.realpathSync);
  const roots = (paths: readonly string[] | undefined): string[] => (paths ?? []).flatMap((p) => [resolve(p), realPath(resolve(p), realpath)]);
  const protectedRoots = roots(policy.protectedPaths);
  if (protectedRoots.length === 0) return;
  const openRoots = roots(policy.readablePaths);
  const inside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
  const closed = (path: string): boolean => protectedRoots.some((r) => inside(path, r)) && !openRoots.some((r) => inside(path, r));
  const refusedPath = (arg: unknown): string | undefined => {
    let text: string | undefined;
    if (typeof arg === 'string') text = arg;
    else if (Buffer.isBuffer(arg)) text = arg.toString();
    else if (arg instanceof URL && arg.protocol === 'file:') text = fileURLToPath(arg);
    if (text === undefined) return undefined;
    // Where it really leads decides: a link into the hub's folder is refused, a link out of it is not.
    return closed(realPath(resolve(text), realpath)) ? text : undefined;
  };
  const wrap = (target: Record<string, unknown>, name: string, promised: boolean): void => {
    const original = target[name];
    if (typeof original !== 'function' || /^[A-Z]/.test(name)) return;
    const guarded = function guarded(this: unknown, ...args: unknown[]): unknown {
      const path = refusedPath(args[0]) ?? refusedPath(args[1]);
      if (path === undefined) return (original as Fn).apply(this, args);
      const error = new SandboxRefusal(`the hub's file ${path} is not open to a connector`);
      if (promised) return Promise.reject(error);
      const callback = args.at(-1);
      if (typeof callback === 'function' && !name.endsWith('Sync')) return void process.nextTick(() => (callback as Fn)(error));
      throw error;
    };
    Object.assign(guarded, original); // e.g. fs.realpath.native, fs.exists[promisify.custom]
    target[name] = guarded;
  };
  const sync = fs as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(fs)) wrap(sync, name, false);
  // Their `.native` forms were copied onto the wrappers as they are: guard those too.
  for (const name of ['realpath', 'realpathSync']) wrap(sync[name] as Record<string, unknown>, 'native', false);
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(promises)) wrap(promises, name, true);
}

/** Applies the policy to this worker; call once, before importing the connector. */
export function lockDown(policy: SandboxPolicy): void {
  guardDns(policy);
  guardSockets(policy);
  guardFiles(policy);
  refuseAll(dgram, ['createSocket'], 'a UDP socket');
  refuseAll(dgram.Socket.prototype, ['bind', 'send', 'connect'], 'a UDP socket');
  refuseAll(childProcess, ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], 'starting a process');
  refuseAll(childProcess.ChildProcess.prototype, ['spawn'], 'starting a process');
  refuseAll(inspector, ['open', 'url', 'waitForDebugger'], 'the inspector');
  refuseAll(inspector.Session.prototype, ['connect', 'connectToMainThread'], 'the inspector');
  // A nested worker would start without any of this.
  Object.defineProperty(workerThreads, 'Worker', {
    value: class RefusedWorker {
      constructor() {
        throw new SandboxRefusal('starting a worker thread is not allowed in a connector');
      }
    },
    writable: false,
    configurable: false,
  });
  refuseAll(process, ['binding', '_linkedBinding', 'dlopen'], 'native code (process.binding, process.dlopen)');
  // `import { spawn } from 'node:child_process'` reads the module's exports as they are now.
  syncBuiltinESMExports();
}
