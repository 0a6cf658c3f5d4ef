/**
 * Runs inside a connector's worker thread: imports the connector, then runs each call the hub sends
 * with a context whose books, mappings and state are message round trips to the hub.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { assertDestination, AuthorizationError, ConnectorEntityError, createConnectorAuth, createHttpClient, ENTITY_METHODS, HttpError, isAllowedDestination, withBearer, type AccessToken, type AuthorizationErrorCode, type Connector, type TokenRequest, type ConnectorContext, type ConnectorLogger } from '@uah/connector-sdk';
import { lockDown } from './sandbox.js';
import type { CallContext, HandlerKind, HostMessage, ModuleDescription, RpcTarget, WireError, WorkerData, WorkerMessage } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread only');
const data = workerData as WorkerData;
const send = (message: WorkerMessage): void => port.postMessage(message);

let rpcSeq = 0;
const pendingRpc = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
const aborts = new Map<number, AbortController>();

export function toWire(error: unknown): WireError {
  if (error instanceof HttpError) {
    const retryable = error.code === 'TIMEOUT' || error.code === 'NETWORK' || (error.status !== undefined && (error.status === 429 || error.status >= 500));
    return { name: error.name, message: error.message, code: error.code, provider: { code: error.code, retryable, ...(error.status === undefined ? {} : { status: error.status }) } };
  }
  if (error instanceof ConnectorEntityError) return { name: error.name, message: error.message, code: error.code, status: error.status, errors: error.errors };
  if (error instanceof AuthorizationError) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function fromWire(error: WireError): Error {
  if (error.name === 'ConnectorEntityError') return new ConnectorEntityError(error.code ?? 'ERROR', error.message, error.status ?? 500, error.errors ?? []);
  if (error.name === 'AuthorizationError') return new AuthorizationError((error.code ?? 'NOT_AUTHORIZED') as AuthorizationErrorCode, error.message);
  return Object.assign(new Error(error.message), { name: error.name });
}

function rpc(callId: number, target: RpcTarget, method: string, args: unknown[], kind?: string): Promise<unknown> {
  const rpcId = ++rpcSeq;
  return new Promise((resolve, reject) => {
    pendingRpc.set(rpcId, { resolve, reject });
    send({ t: 'rpc', callId, rpcId, target, method, args, ...(kind ? { kind } : {}) });
  });
}

function entitiesFor(callId: number): ConnectorContext['entities'] {
  const out: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const [kind, methods] of Object.entries(ENTITY_METHODS)) {
    out[kind] = Object.fromEntries(Object.keys(methods).map((method) => [method, (...args: unknown[]) => rpc(callId, 'entities', method, args, kind)]));
  }
  return out as unknown as ConnectorContext['entities'];
}

function contextFor(callId: number, call: CallContext, signal: AbortSignal, authType: Connector['manifest']['auth']['type']): ConnectorContext {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    send({ t: 'log', callId, level, message: String(message), ...(fields ? { fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown> } : {}) });
  const logger: ConnectorLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const via = (target: RpcTarget, method: string) => (...args: unknown[]) => rpc(callId, target, method, args);
  // The hub refreshes tokens; the worker only asks, and keeps a token for this call while it stays valid.
  const auth = createConnectorAuth(authType, authType === 'oauth2' ? (request?: TokenRequest) => rpc(callId, 'auth', 'accessToken', request?.rejected ? [{ rejected: request.rejected }] : []) as Promise<AccessToken> : undefined);
  return {
    connectorId: call.connectorId,
    organizationId: call.organizationId,
    credentials: Object.freeze({ ...call.credentials }),
    config: Object.freeze({ ...call.config }),
    cause: call.cause,
    entities: entitiesFor(callId),
    mappings: { externalIdOf: via('mappings', 'externalIdOf'), internalIdOf: via('mappings', 'internalIdOf'), link: via('mappings', 'link'), unlink: via('mappings', 'unlink') } as ConnectorContext['mappings'],
    syncState: { get: via('syncState', 'get'), set: via('syncState', 'set'), delete: via('syncState', 'delete') } as ConnectorContext['syncState'],
    logger,
    // The manifest's hosts win over whatever the connector passes.
    auth,
    http: (options) => createHttpClient({ ...(authType === 'oauth2' ? withBearer(options, auth) : options), allowedHosts: data.allowedHosts, urlPolicy: { allowPrivate: data.allowPrivate }, signal: options.signal ? AbortSignal.any([options.signal, signal]) : signal }),
    signal,
  };
}

/** Direct `fetch` calls (bypassing ctx.http) are held to the same hosts. */
function guardFetch(): void {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!isAllowedDestination(url, data.allowedHosts)) return Promise.reject(new HttpError({ code: 'HOST_NOT_ALLOWED', method: init?.method ?? 'GET', url, attempts: 0, detail: "is refused: the host is not in the manifest's allowedHosts" }));
    // An allowed name that resolves to a private address is refused as well (unless the hub allows private targets).
    return assertDestination(url, { method: init?.method ?? 'GET', urlPolicy: { allowPrivate: data.allowPrivate } }).then(() => original(input, init));
  };
}

function handlerOf(connector: Connector, kind: HandlerKind, name: string | undefined): ((...args: never[]) => unknown) | undefined {
  if (kind === 'sync') return name && Object.hasOwn(connector.sync ?? {}, name) ? connector.sync?.[name] : undefined;
  if (kind === 'action') return name && Object.hasOwn(connector.actions ?? {}, name) ? connector.actions?.[name] : undefined;
  return connector[kind];
}

async function run(connector: Connector, message: Extract<HostMessage, { t: 'invoke' }>): Promise<void> {
  const controller = new AbortController();
  aborts.set(message.callId, controller);
  try {
    const handler = handlerOf(connector, message.kind, message.name);
    if (typeof handler !== 'function') throw new Error(`the connector has no ${message.kind}${message.name ? ` "${message.name}"` : ''} handler`);
    const ctx = contextFor(message.callId, message.ctx, controller.signal, connector.manifest.auth.type);
    const value = await (handler as (...args: unknown[]) => unknown)(ctx, ...message.args);
    send({ t: 'result', callId: message.callId, ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) });
  } catch (error) {
    send({ t: 'result', callId: message.callId, ok: false, error: toWire(error) });
  } finally {
    aborts.delete(message.callId);
  }
}

function describe(connector: Connector): ModuleDescription {
  const handlers = (['onEvent', 'verifyWebhook', 'handleWebhook', 'check'] as const).filter((h) => typeof connector[h] === 'function');
  return { id: connector.manifest.id, version: connector.manifest.version, sdkVersion: connector.sdkVersion, sync: Object.keys(connector.sync ?? {}), actions: Object.keys(connector.actions ?? {}), handlers };
}

async function main(): Promise<void> {
  guardFetch();
  lockDown({ allowedHosts: data.allowedHosts, allowPrivate: data.allowPrivate, protectedPaths: data.protectedPaths, readablePaths: data.readablePaths });
  let connector: Connector;
  try {
    const mod = (await import(pathToFileURL(data.entry).href)) as { default?: Connector };
    if (!mod.default || typeof mod.default !== 'object' || !mod.default.manifest) throw new Error('the module has no default export made with defineConnector()');
    connector = mod.default;
    send({ t: 'ready', module: describe(connector) });
  } catch (error) {
    send({ t: 'load-error', error: toWire(error) });
    return;
  }
  port!.on('message', (message: HostMessage) => {
    if (message.t === 'invoke') void run(connector, message);
    else if (message.t === 'cancel') aborts.get(message.callId)?.abort(new Error('cancelled by the hub'));
    else if (message.t === 'reply') {
      const pending = pendingRpc.get(message.rpcId);
      pendingRpc.delete(message.rpcId);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(fromWire(message.error));
    }
  });
}

await main();
