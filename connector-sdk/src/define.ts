import type { ConnectorManifest, Event } from '@uah/schemas';
import type { ConnectorContext, JsonValue } from './context.js';
import { validateManifest, type ManifestIssue } from './manifest.js';
import { SDK_VERSION } from './version.js';

/**
 * One sync run of one data type, as the hub's scheduler (or a manual trigger) starts it.
 *
 * @example
 * ```ts
 * const job: SyncJob = { dataType: 'payment', direction: 'pull', trigger: 'schedule', full: false, lastSuccessAt: '2026-01-31T09:30:00.000Z' };
 * ```
 */
export interface SyncJob {
  /** The job's id (`syn_…`): the causation id of every change the run makes. */
  id?: string;
  dataType: string;
  /** For a `bidirectional` data type the hub runs a `pull` and a `push` job. */
  direction: 'pull' | 'push';
  trigger: 'schedule' | 'manual' | 'webhook';
  /**
   * A full pass: ignore stored cursors and the lookback window and read every record of the provider.
   * On a `pull`, the hub then treats each linked record of this data type that the pass neither looked
   * up (`ctx.mappings.internalIdOf`) nor linked (`ctx.mappings.link`) as deleted at the provider.
   */
  full: boolean;
  /**
   * This run was interrupted (its hub process stopped) and is resumed, by this or another process: pick
   * up from the checkpoint the interrupted run saved in `ctx.syncState` instead of starting over, even on
   * a full pass.
   */
  resumed?: boolean;
  /** When the last successful run of this data type and direction started. */
  lastSuccessAt: string | null;
  /**
   * Read provider records changed since this instant: `lastSuccessAt` less the integration's lookback
   * window, so records created late or edited while the last run read are not missed. `null` on a full run.
   */
  since?: string | null;
  /** Who wins when both sides changed a record (see {@link resolveConflict}). */
  conflictResolution?: ConflictResolution;
  /** Our field → the provider's field, as the organization configured them for this data type. */
  fieldMappings?: Record<string, string>;
}

/**
 * The rule for a record both sides changed: `MASTER_WINS` keeps the hub's, `REMOTE_WINS` takes the
 * provider's, `NEWEST_WINS` takes whichever changed last (the hub's on a tie).
 *
 * @example
 * ```ts
 * const rule: ConflictResolution = 'NEWEST_WINS';
 * ```
 */
export type ConflictResolution = 'MASTER_WINS' | 'REMOTE_WINS' | 'NEWEST_WINS';

/**
 * Decides a conflict by the rule; report it in `SyncResult.conflicts` so it is logged on the job.
 *
 * @example
 * ```ts
 * const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: ours.updatedAt }, { updatedAt: remote.updated_at });
 * if (winner === 'remote') await ctx.entities.customers.update(ours.id, fromRemote(remote));
 * ```
 */
export function resolveConflict(rule: ConflictResolution, ours: { updatedAt: string }, remote: { updatedAt: string }): 'ours' | 'remote' {
  if (rule === 'MASTER_WINS') return 'ours';
  if (rule === 'REMOTE_WINS') return 'remote';
  return Date.parse(remote.updatedAt) > Date.parse(ours.updatedAt) ? 'remote' : 'ours';
}

/**
 * What a sync run did, counted per record; shown in the integration's status and sync log.
 *
 * @example
 * ```ts
 * const result: SyncResult = { created: 3, updated: 1, skipped: 10, failed: 1, errors: [{ externalId: 'ch_9', message: 'currency XTS is not supported' }] };
 * ```
 */
export interface SyncResult {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  /** Why records failed (a few examples, not necessarily one per failure). */
  errors?: Array<{ externalId?: string; internalId?: string; message: string }>;
  /** Conflicts met and how the rule decided them; the hub logs each on the job. */
  conflicts?: Array<{ externalId?: string; internalId?: string; winner: 'ours' | 'remote' }>;
}

/**
 * A provider webhook as it arrived at `POST /v1/hooks/{connectorId}/{orgId}`. `rawBody` holds the
 * exact bytes: signatures are computed over them, not over re-serialised JSON. Header names are lower case.
 *
 * @example
 * ```ts
 * const payload = JSON.parse(new TextDecoder().decode(request.rawBody)) as { type: string };
 * ```
 */
export interface WebhookRequest {
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  rawBody: Uint8Array;
}

/**
 * What `verifyWebhook` concludes: `false` refuses the request (400, nothing else runs); `true` or
 * `{ eventId }` accepts it, the id naming the provider's event so that it is processed once.
 *
 * @example
 * ```ts
 * const verdict: WebhookVerification = { eventId: 'evt_1NqK3x' };
 * ```
 */
export type WebhookVerification = boolean | { eventId: string };

/**
 * What to answer the provider: 200 with `body` (or `{ received: true }`).
 *
 * @example
 * ```ts
 * const accepted: WebhookResponse = { status: 202 };
 * ```
 */
export interface WebhookResponse {
  /** Reserved: the hub answers every handled webhook with 200 (providers take any 2xx as delivered). */
  status?: number;
  body?: JsonValue;
}

/**
 * The handlers of a connector, each named after what the manifest declares:
 * `sync[dataType.type]`, `actions[action.name]`, `onEvent` for `events`, and `verifyWebhook` plus
 * `handleWebhook` when `webhooks.receives` is true.
 *
 * @example
 * ```ts
 * const handlers: ConnectorHandlers<{ secretKey: string }> = {
 *   sync: { payment: async (ctx, job) => ({ created: 0, updated: 0, skipped: 0, failed: 0 }) },
 * };
 * ```
 */
export interface ConnectorHandlers<TCredentials = Record<string, unknown>, TConfig = Record<string, unknown>> {
  /** Receives each domain event of a type listed in `manifest.events`, at least once: dedupe by `event.id`. */
  onEvent?: (ctx: ConnectorContext<TCredentials, TConfig>, event: Event) => Promise<void>;
  sync?: Record<string, (ctx: ConnectorContext<TCredentials, TConfig>, job: SyncJob) => Promise<SyncResult>>;
  /** `input` has been validated against the action's `inputSchema`. */
  actions?: Record<string, (ctx: ConnectorContext<TCredentials, TConfig>, input: Record<string, unknown>) => Promise<JsonValue>>;
  /**
   * Checks the provider's signature; nothing else runs for a request it refuses. Return the provider's
   * event id (`{ eventId }`) so a redelivery of the same event is processed once; `true` alone dedupes
   * by the exact body.
   */
  verifyWebhook?: (ctx: ConnectorContext<TCredentials, TConfig>, request: WebhookRequest) => WebhookVerification | Promise<WebhookVerification>;
  handleWebhook?: (ctx: ConnectorContext<TCredentials, TConfig>, request: WebhookRequest) => Promise<WebhookResponse | undefined>;
  /**
   * Checks the credentials and config against the provider when an organization enables or
   * reconfigures the integration (a cheap authenticated call). Throw to refuse them: an `HttpError`
   * from the provider is shown to the organization as the provider's answer.
   */
  check?: (ctx: ConnectorContext<TCredentials, TConfig>) => Promise<void>;
}

/**
 * A connector as the hub loads it: its validated manifest, its handlers, and the SDK version it was
 * built with.
 *
 * @example
 * ```ts
 * import connector from '@uah/connector-stripe';
 * connector.manifest.id; // 'stripe'
 * ```
 */
export interface Connector<TCredentials = Record<string, unknown>, TConfig = Record<string, unknown>> extends ConnectorHandlers<TCredentials, TConfig> {
  readonly manifest: ConnectorManifest;
  readonly sdkVersion: string;
}

/**
 * Thrown by {@link defineConnector} when the manifest is invalid or the handlers do not match it.
 *
 * @example
 * ```ts
 * try { defineConnector(definition); } catch (e) { if (e instanceof ConnectorDefinitionError) report(e.issues); }
 * ```
 */
export class ConnectorDefinitionError extends Error {
  override readonly name = 'ConnectorDefinitionError';
  constructor(
    readonly connectorId: string,
    readonly issues: ManifestIssue[],
  ) {
    super(`connector ${connectorId} is not valid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
  }
}

function handlerIssues(manifest: ConnectorManifest, handlers: ConnectorHandlers<never, never>): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const compare = (kind: 'sync' | 'actions', declared: string[], given: Record<string, unknown> | undefined, where: string): void => {
    for (const name of declared) if (typeof given?.[name] !== 'function') issues.push({ path: where, message: `declares "${name}" but ${kind}.${name} is not a function` });
    for (const name of Object.keys(given ?? {})) if (!declared.includes(name)) issues.push({ path: where, message: `has no "${name}", yet ${kind}.${name} is given` });
  };
  compare('sync', manifest.dataTypes.map((d) => d.type), handlers.sync, '/dataTypes');
  compare('actions', manifest.actions.map((a) => a.name), handlers.actions, '/actions');
  if (manifest.events.length > 0 && !handlers.onEvent) issues.push({ path: '/events', message: 'lists events but onEvent is not given' });
  if (manifest.events.length === 0 && handlers.onEvent) issues.push({ path: '/events', message: 'lists no events, yet onEvent is given' });
  const webhookHandlers = [handlers.verifyWebhook, handlers.handleWebhook].filter(Boolean).length;
  if (manifest.webhooks.receives && webhookHandlers < 2) issues.push({ path: '/webhooks/receives', message: 'is true: give both verifyWebhook and handleWebhook' });
  if (!manifest.webhooks.receives && webhookHandlers > 0) issues.push({ path: '/webhooks/receives', message: 'is false, yet webhook handlers are given' });
  return issues;
}

/**
 * Declares a connector: its manifest (usually imported from its `connector.json`, hence typed
 * `unknown`: JSON imports lose their literal types, and the manifest is validated here instead) and its handlers.
 * Fails loudly, at load time, when the manifest is invalid, needs another SDK version, or does not
 * match the handlers (a data type without a sync handler, an action without its function, …).
 * The connector package's default export is the result.
 *
 * @example
 * ```ts
 * import manifest from '../connector.json' with { type: 'json' };
 * import { defineConnector } from '@uah/connector-sdk';
 *
 * export default defineConnector<{ secretKey: string }>({
 *   manifest,
 *   sync: {
 *     payment: async (ctx, job) => {
 *       const api = ctx.http({ baseUrl: 'https://api.stripe.com/v1', headers: { authorization: `Bearer ${ctx.credentials.secretKey}` } });
 *       let created = 0;
 *       for await (const charge of api.paginate<{ id: string }, { data: Array<{ id: string }>; has_more: boolean }>('/charges', {
 *         items: (page) => page.data,
 *         strategy: { type: 'cursor', cursorParam: 'starting_after', nextCursor: (page) => (page.has_more ? page.data.at(-1)?.id : undefined) },
 *       })) {
 *         if (!(await ctx.mappings.internalIdOf('payment', charge.id))) created += 1;
 *       }
 *       return { created, updated: 0, skipped: 0, failed: 0 };
 *     },
 *   },
 * });
 * ```
 */
export function defineConnector<TCredentials = Record<string, unknown>, TConfig = Record<string, unknown>>(
  definition: { manifest: unknown } & ConnectorHandlers<TCredentials, TConfig>,
): Connector<TCredentials, TConfig> {
  const { manifest: raw, ...handlers } = definition;
  const checked = validateManifest(raw);
  const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : '(no id)';
  if (!checked.valid) throw new ConnectorDefinitionError(id, checked.issues);
  const issues = handlerIssues(checked.manifest, handlers);
  if (issues.length > 0) throw new ConnectorDefinitionError(id, issues);
  return Object.freeze({ ...handlers, manifest: checked.manifest, sdkVersion: SDK_VERSION });
}
