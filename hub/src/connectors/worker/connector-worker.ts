import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CallContext, HandlerKind, HostMessage, ModuleDescription, WireError, WorkerData, WorkerMessage } from './protocol.js';

/** Memory limits of one worker (V8 heap sizes in MB). */
export interface WorkerLimits {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb?: number;
}

/** Why a handler call failed: its own error, or the hub stopped it. */
export type FailureReason = 'THREW' | 'TIMEOUT' | 'OUT_OF_MEMORY' | 'CRASHED';

/** A failed handler call; `error` is the connector's own error when it threw. */
export class HandlerFailure extends Error {
  override readonly name = 'HandlerFailure';
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly error?: WireError,
  ) {
    super(message);
  }
}

/** The hub's record of one call: what the worker's context calls are answered with. */
export interface CallBinding {
  ctx: CallContext;
  permissions: readonly string[];
  onLog?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** The calls this invocation makes to the books and mappings run in this transaction, one at a time. */
  transaction?: { run<T>(work: () => Promise<T>): Promise<T> };
  /** Access tokens handed to this call: scrubbed, like the credentials, from what it logs. */
  issued?: string[];
  /** Throws to refuse the call's context calls (a sync job whose lease is lost). */
  fence?: () => void;
  seenBy?: { jobId: string; entityType: string };
}

export type RpcRequest = Extract<WorkerMessage, { t: 'rpc' }>;
export type LogRequest = Extract<WorkerMessage, { t: 'log' }>;

export interface WorkerOptions {
  entry: string;
  allowedHosts: string[];
  /** Loopback and private targets allowed (development, tests). @default false */
  allowPrivate?: boolean;
  /** The hub's own folders (its data folder), closed to the connector's file calls. @default [] */
  protectedPaths?: readonly string[];
  /** The connector's own folder, open even inside a protected one. */
  dir?: string;
  limits: WorkerLimits;
  /** How long the module may take to import. */
  loadTimeoutMs: number;
  serve(binding: CallBinding, request: RpcRequest): Promise<unknown>;
  log(binding: CallBinding, request: LogRequest): void;
}

export interface ConnectorWorker {
  readonly module: ModuleDescription;
  readonly alive: boolean;
  readonly inFlight: number;
  /** `signal` aborted: the handler's `ctx.signal` is aborted. */
  invoke(kind: HandlerKind, name: string | undefined, binding: CallBinding, args: unknown[], timeoutMs: number, signal?: AbortSignal): Promise<unknown>;
  terminate(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const workerMain = pathToFileURL(join(here, 'worker-main.ts')).href;
// The worker registers the TypeScript loader itself: a worker's --import flags do not apply to its own entry.
const BOOTSTRAP = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerMain)}); });`;

/** The only environment variables a connector's worker gets. */
const WORKER_ENV = ['NODE_ENV', 'TZ', 'LANG'];

function wireOf(error: unknown): WireError {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/** Starts a worker, imports the connector in it, and resolves once it says what it offers. */
export function startConnectorWorker(options: WorkerOptions): Promise<ConnectorWorker> {
  const data: WorkerData = {
    entry: options.entry, allowedHosts: options.allowedHosts, allowPrivate: options.allowPrivate ?? false,
    protectedPaths: [...(options.protectedPaths ?? [])], readablePaths: [options.dir ?? dirname(options.entry)],
  };
  // The connector sees none of the hub's environment (database URL, secret key, admin token).
  const env = Object.fromEntries(WORKER_ENV.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, resourceLimits: options.limits, stdout: false, stderr: false, env });
  const calls = new Map<number, { binding: CallBinding; resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  let seq = 0;
  let alive = true;
  let exitReason: { reason: FailureReason; message: string } = { reason: 'CRASHED', message: 'the connector worker stopped' };

  const failAll = (): void => {
    for (const [id, call] of calls) {
      clearTimeout(call.timer);
      call.reject(new HandlerFailure(exitReason.reason, exitReason.message));
      calls.delete(id);
    }
  };
  const post = (message: HostMessage): void => {
    if (alive) worker.postMessage(message);
  };

  return new Promise<ConnectorWorker>((resolve, reject) => {
    const loadTimer = setTimeout(() => {
      exitReason = { reason: 'TIMEOUT', message: `importing the connector took longer than ${options.loadTimeoutMs} ms` };
      void worker.terminate();
    }, options.loadTimeoutMs);
    let ready = false;

    worker.on('error', (error: Error & { code?: string }) => {
      exitReason = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { reason: 'OUT_OF_MEMORY', message: 'the connector ran out of memory' } : { reason: 'CRASHED', message: `the connector worker crashed: ${error.message}` };
    });
    worker.on('exit', () => {
      alive = false;
      clearTimeout(loadTimer);
      failAll();
      if (!ready) reject(new HandlerFailure(exitReason.reason, exitReason.message));
    });
    worker.on('message', (message: WorkerMessage) => {
      if (message.t === 'ready') {
        ready = true;
        clearTimeout(loadTimer);
        resolve(handle(message.module));
      } else if (message.t === 'load-error') {
        clearTimeout(loadTimer);
        exitReason = { reason: 'THREW', message: `importing the connector failed: ${message.error.message}` };
        ready = true;
        reject(new HandlerFailure('THREW', exitReason.message, message.error));
        void worker.terminate();
      } else if (message.t === 'result') {
        const call = calls.get(message.callId);
        if (!call) return;
        calls.delete(message.callId);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.value);
        else call.reject(new HandlerFailure('THREW', message.error.message, message.error));
      } else if (message.t === 'rpc') {
        const call = calls.get(message.callId);
        // A context call outside a running call of this worker has nothing to act for.
        if (!call) return post({ t: 'reply', rpcId: message.rpcId, ok: false, error: { name: 'Error', message: 'no such call' } });
        options.serve(call.binding, message).then(
          (value) => post({ t: 'reply', rpcId: message.rpcId, ok: true, value: value ?? null }),
          (error: unknown) => post({ t: 'reply', rpcId: message.rpcId, ok: false, error: { ...wireOf(error), ...pickEntityFields(error) } }),
        );
      } else if (message.t === 'log') {
        const call = calls.get(message.callId);
        if (call) options.log(call.binding, message);
      }
    });
  });

  function handle(module: ModuleDescription): ConnectorWorker {
    return {
      module,
      get alive() {
        return alive;
      },
      get inFlight() {
        return calls.size;
      },
      invoke(kind, name, binding, args, timeoutMs, signal) {
        if (!alive) return Promise.reject(new HandlerFailure('CRASHED', 'the connector worker has stopped'));
        const callId = ++seq;
        const cancel = (): void => post({ t: 'cancel', callId });
        signal?.addEventListener('abort', cancel, { once: true });
        return new Promise<unknown>((resolve, reject) => {
          // A synchronous loop cannot be interrupted from inside the thread: past the timeout the worker is ended.
          const timer = setTimeout(() => {
            exitReason = { reason: 'TIMEOUT', message: `the ${kind} handler ran longer than ${timeoutMs} ms and was stopped` };
            void worker.terminate();
          }, timeoutMs);
          calls.set(callId, { binding, resolve, reject, timer });
          post({ t: 'invoke', callId, kind, ...(name ? { name } : {}), ctx: binding.ctx, args });
        }).finally(() => signal?.removeEventListener('abort', cancel));
      },
      async terminate() {
        exitReason = { reason: 'CRASHED', message: 'the connector worker was stopped by the hub' };
        await worker.terminate();
      },
    };
  }
}

function pickEntityFields(error: unknown): Partial<WireError> {
  const e = error as { code?: unknown; status?: unknown; errors?: unknown };
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(Array.isArray(e.errors) ? { errors: e.errors as NonNullable<WireError['errors']> } : {}),
  };
}
