import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { runInTransaction } from '@uah/core';
import type { AccessToken } from '@uah/connector-sdk';
import type { Catalog } from './catalog.js';
import type { Books } from './books.js';
import { createMappings, createSyncState, type SeenBy } from './connector-store.js';
import { HandlerFailure, startConnectorWorker, type CallBinding, type ConnectorWorker, type FailureReason, type LogRequest, type RpcRequest, type WorkerLimits } from './worker/connector-worker.js';
import type { CallContext, HandlerKind } from './worker/protocol.js';

/** One handler call for one organization's integration. */
export interface InvokeRequest {
  connectorId: string;
  version: string;
  organizationId: string;
  credentials: Record<string, unknown>;
  config: Record<string, unknown>;
  cause: CallContext['cause'];
  kind: HandlerKind;
  name?: string;
  args: unknown[];
  timeoutMs?: number;
  /** Also receives each line the connector logs during this call (scrubbed), e.g. for a sync job's log. */
  onLog?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /**
   * Runs the invocation's calls to the books, mappings and sync state inside this transaction (one at a
   * time), so they commit or roll back with whatever the caller writes in it (a webhook's receipt). A
   * failure is then not recorded by the runtime: the error carries its `report` for the caller to record
   * once the transaction has ended.
   */
  transaction?: Knex.Transaction;
  /**
   * Called before each of the invocation's calls to the books, mappings and state: throwing refuses the
   * call. A sync job whose lease is lost stops changing anything this way.
   */
  fence?: () => void;
  /** Aborting it aborts the handler's `ctx.signal` (the call still ends by itself or by its timeout). */
  signal?: AbortSignal;
  /** A full pass: the links it looks up or makes are marked as seen (see `createMappings`). */
  seenBy?: SeenBy;
}

export interface FailureReport {
  organizationId: string;
  connectorId: string;
  kind: HandlerKind;
  reason: FailureReason;
  message: string;
}

export interface RuntimeOptions {
  catalog: Catalog;
  books: Books;
  knex: Knex;
  logger: Logger;
  limits: WorkerLimits;
  /** Per handler kind. */
  timeouts: Record<HandlerKind, number>;
  /** A worker with nothing to do for this long is stopped (and started again on the next call). */
  idleMs: number;
  loadTimeoutMs: number;
  /** Connectors may call loopback and private addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivate?: boolean;
  /** The hub's own folders (its data folder), closed to connectors' file calls. */
  protectedPaths?: readonly string[];
  /** Gives oauth2 connectors their access token (`ctx.auth`), refreshed here, never in the worker. */
  tokens?: { accessToken(organizationId: string, connectorId: string, request?: { rejected?: string }): Promise<AccessToken> };
  onFailure(report: FailureReport): void | Promise<void>;
}

export interface ConnectorRuntime {
  invoke(request: InvokeRequest): Promise<unknown>;
  /** Counts a failure on the integration (see `InvokeRequest.transaction`). */
  recordFailure(report: FailureReport): Promise<void>;
  /** Workers running now (for metrics and tests). */
  readonly workers: number;
  stop(): Promise<void>;
}

export const DEFAULT_TIMEOUTS: Record<HandlerKind, number> = { onEvent: 30_000, action: 60_000, verifyWebhook: 10_000, handleWebhook: 30_000, check: 20_000, sync: 15 * 60_000 };

const MAPPING_METHODS = new Set(['externalIdOf', 'internalIdOf', 'link', 'unlink']);
const STATE_METHODS = new Set(['get', 'set', 'delete']);

/** Every value of the credentials long enough to be a secret: scrubbed from whatever a connector logs. */
function secretsOf(credentials: Record<string, unknown>): string[] {
  return Object.values(credentials).flatMap((v) => (typeof v === 'string' && v.length >= 4 ? [v] : []));
}

function scrub(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Calls of one invocation in its transaction, one after another: a transaction has one connection. */
function serialized(trx: Knex.Transaction): NonNullable<CallBinding['transaction']> {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      const next = tail.then(() => runInTransaction(trx, work));
      tail = next.catch(() => undefined);
      return next;
    },
  };
}

/**
 * Runs connector handlers in worker threads: one worker per organization's integration (connector
 * version × organization), so a connector that spins, leaks or crashes for one organization holds up
 * no other, and no worker ever holds two organizations' credentials.
 */
export function createConnectorRuntime(options: RuntimeOptions): ConnectorRuntime {
  const workers = new Map<string, { worker: Promise<ConnectorWorker>; idle?: NodeJS.Timeout }>();

  async function serve(binding: CallBinding, request: RpcRequest): Promise<unknown> {
    // A token is not the invocation's write: it never joins (nor waits for) the invocation's transaction.
    if (request.target === 'auth') return serveToken(binding, request);
    return binding.transaction ? binding.transaction.run(() => serveNow(binding, request)) : serveNow(binding, request);
  }

  async function serveNow(binding: CallBinding, request: RpcRequest): Promise<unknown> {
    binding.fence?.();
    const scope = { organizationId: binding.ctx.organizationId, connectorId: binding.ctx.connectorId };
    if (request.target === 'entities') {
      return options.books.call({ ...scope, permissions: binding.permissions, cause: binding.ctx.cause, kind: String(request.kind), method: request.method, args: Array.isArray(request.args) ? request.args : [] });
    }
    const allowed = request.target === 'mappings' ? MAPPING_METHODS : STATE_METHODS;
    if (!allowed.has(request.method)) throw new Error(`${request.target}.${request.method} does not exist`);
    const target = (request.target === 'mappings' ? createMappings(options.knex, scope, binding.seenBy) : createSyncState(options.knex, scope)) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return target[request.method]!(...(Array.isArray(request.args) ? request.args : []));
  }

  async function serveToken(binding: CallBinding, request: RpcRequest): Promise<AccessToken> {
    if (request.method !== 'accessToken' || !options.tokens) throw new Error(`auth.${request.method} does not exist`);
    // Only a token this call was given may be named as refused: a worker cannot force refreshes at will.
    const asked = (Array.isArray(request.args) ? request.args[0] : undefined) as { rejected?: unknown } | undefined;
    const rejected = typeof asked?.rejected === 'string' && binding.issued?.includes(asked.rejected) ? asked.rejected : undefined;
    const token = await options.tokens.accessToken(binding.ctx.organizationId, binding.ctx.connectorId, rejected ? { rejected } : undefined);
    (binding.issued ??= []).push(token.accessToken);
    return token;
  }

  function log(binding: CallBinding, request: LogRequest): void {
    const secrets = [...secretsOf(binding.ctx.credentials), ...(binding.issued ?? [])];
    const fields = request.fields ? (JSON.parse(scrub(JSON.stringify(request.fields), secrets)) as Record<string, unknown>) : {};
    const level = (['debug', 'info', 'warn', 'error'] as const).includes(request.level) ? request.level : 'info';
    const message = scrub(String(request.message), secrets);
    options.logger[level]({ ...fields, connectorId: binding.ctx.connectorId, organizationId: binding.ctx.organizationId }, message);
    binding.onLog?.(level, message);
  }

  function workerFor(key: string, request: InvokeRequest): Promise<ConnectorWorker> {
    const existing = workers.get(key);
    if (existing) {
      clearTimeout(existing.idle);
      return existing.worker;
    }
    const entry = options.catalog.get(request.connectorId, request.version);
    if (!entry?.available || !entry.entry || !entry.manifest) return Promise.reject(new HandlerFailure('CRASHED', `${request.connectorId}@${request.version} is not available${entry?.problem ? `: ${entry.problem.message}` : ''}`));
    const worker = startConnectorWorker({ entry: entry.entry, dir: entry.dir, allowedHosts: entry.manifest.allowedHosts ?? [], allowPrivate: options.allowPrivate ?? false, protectedPaths: options.protectedPaths ?? [], limits: options.limits, loadTimeoutMs: options.loadTimeoutMs, serve, log });
    workers.set(key, { worker });
    worker.catch(() => workers.delete(key));
    return worker;
  }

  function release(key: string, worker: ConnectorWorker): void {
    const slot = workers.get(key);
    if (!slot) return;
    if (!worker.alive) {
      workers.delete(key);
      return;
    }
    if (worker.inFlight > 0) return;
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (worker.inFlight > 0) return;
      workers.delete(key);
      void worker.terminate();
    }, options.idleMs);
    slot.idle.unref();
  }

  return {
    async invoke(request) {
      const key = `${request.connectorId}@${request.version}/${request.organizationId}`;
      const entry = options.catalog.get(request.connectorId, request.version);
      const binding: CallBinding = {
        ...(request.onLog ? { onLog: request.onLog } : {}),
        permissions: entry?.manifest?.permissions ?? [],
        ctx: { connectorId: request.connectorId, organizationId: request.organizationId, credentials: request.credentials, config: request.config, cause: request.cause },
        ...(request.transaction ? { transaction: serialized(request.transaction) } : {}),
        ...(request.fence ? { fence: request.fence } : {}),
        ...(request.seenBy ? { seenBy: request.seenBy } : {}),
      };
      let worker: ConnectorWorker | undefined;
      try {
        worker = await workerFor(key, request);
        return await worker.invoke(request.kind, request.name, binding, request.args, request.timeoutMs ?? options.timeouts[request.kind], request.signal);
      } catch (error) {
        if (error instanceof HandlerFailure) {
          const report: FailureReport = { organizationId: request.organizationId, connectorId: request.connectorId, kind: request.kind, reason: error.reason, message: scrub(error.message, [...secretsOf(request.credentials), ...(binding.issued ?? [])]) };
          if (request.transaction) Object.assign(error, { report });
          else await options.onFailure(report);
        }
        throw error;
      } finally {
        if (worker) release(key, worker);
      }
    },
    async recordFailure(report) {
      await options.onFailure(report);
    },
    get workers() {
      return workers.size;
    },
    async stop() {
      const all = [...workers.values()];
      workers.clear();
      await Promise.all(all.map(async (slot) => {
        clearTimeout(slot.idle);
        await (await slot.worker.catch(() => undefined))?.terminate();
      }));
    },
  };
}
