/**
 * The messages between the hub and a connector's worker. The worker runs third-party code: the hub
 * trusts nothing it sends beyond the shape of these messages, and answers a context call only for a
 * call the hub itself started (the organization, permissions and credentials are the hub's record of
 * that call, never a field the worker sends).
 */

/** Which handler a call runs. */
export type HandlerKind = 'onEvent' | 'sync' | 'action' | 'verifyWebhook' | 'handleWebhook' | 'check';

/** What the worker needs to build the `ctx` of one call. */
export interface CallContext {
  connectorId: string;
  organizationId: string;
  credentials: Record<string, unknown>;
  config: Record<string, unknown>;
  cause: { source: 'IMPORT' | 'WEBHOOK'; causationId?: string };
}

/** An error as it crosses the boundary: enough to rebuild it on the other side and to judge a retry. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  errors?: Array<{ field?: string; message: string }>;
  /** Set when the error is the provider's answer (an SDK HttpError). */
  provider?: { status?: number; code: string; retryable: boolean };
}

export type HostMessage =
  | { t: 'invoke'; callId: number; kind: HandlerKind; name?: string; ctx: CallContext; args: unknown[] }
  | { t: 'cancel'; callId: number }
  | { t: 'reply'; rpcId: number; ok: true; value: unknown }
  | { t: 'reply'; rpcId: number; ok: false; error: WireError };

/** What the loaded module offers, checked by the hub against the manifest. */
export interface ModuleDescription {
  id: string;
  version: string;
  sdkVersion: string;
  sync: string[];
  actions: string[];
  handlers: Array<'onEvent' | 'verifyWebhook' | 'handleWebhook' | 'check'>;
}

export type RpcTarget = 'entities' | 'mappings' | 'syncState' | 'auth';

export type WorkerMessage =
  | { t: 'ready'; module: ModuleDescription }
  | { t: 'load-error'; error: WireError }
  | { t: 'rpc'; callId: number; rpcId: number; target: RpcTarget; kind?: string; method: string; args: unknown[] }
  | { t: 'log'; callId: number; level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  | { t: 'result'; callId: number; ok: true; value: unknown }
  | { t: 'result'; callId: number; ok: false; error: WireError };

/** What the hub hands a new worker. */
export interface WorkerData {
  entry: string;
  allowedHosts: string[];
  /** Whether the connector may call loopback and private addresses (development, tests). */
  allowPrivate: boolean;
  /** The hub's folders the connector may not touch, and the folders inside them it may (its own). */
  protectedPaths: string[];
  readablePaths: string[];
}
