import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, type ConnectorContext, type HttpClient } from '@uah/connector-sdk';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export interface Config {
  environment?: 'production' | 'sandbox';
  baseUrl?: string;
  realmId?: string;
  minorVersion?: string;
  incomeAccountId?: string;
  defaultItemName?: string;
  items?: Record<string, string>;
  requestsPerMinute?: number;
}

export type Ctx = ConnectorContext<Credentials, Config>;

/** A QuickBooks entity as the v3 API returns it: its own fields, plus the ones every entity has. */
export interface QboEntity {
  Id: string;
  SyncToken: string;
  MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
  [field: string]: unknown;
}

/** QuickBooks' name of each data type the connector syncs. */
export const ENTITY_OF = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment', item: 'Item' } as const;
export type EntityName = (typeof ENTITY_OF)[keyof typeof ENTITY_OF];

const ORIGIN = { production: 'https://quickbooks.api.intuit.com', sandbox: 'https://sandbox-quickbooks.api.intuit.com' };
const WINDOW_MS = 60_000;
/** Fault codes: a stale SyncToken, and the name another list entity already has. */
export const STALE_OBJECT = '5010';
export const DUPLICATE_NAME = '6240';

/** A string or number as text; anything else as ''. */
export const textOf = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** The error codes of a QuickBooks `Fault` answer (`{ Fault: { Error: [{ code, Message, Detail }], type } }`). */
export function faultCodes(error: unknown): string[] {
  if (!(error instanceof HttpError)) return [];
  const fault = (error.body as { Fault?: { Error?: Array<{ code?: unknown }> } } | undefined)?.Fault;
  return (fault?.Error ?? []).map((e) => textOf(e.code));
}

/** The fault's own words, for the sync log. */
export function faultMessage(error: unknown): string {
  if (!(error instanceof HttpError)) return error instanceof Error ? error.message : String(error);
  const first = (error.body as { Fault?: { Error?: Array<{ Message?: string; Detail?: string }> } } | undefined)?.Fault?.Error?.[0];
  return first ? `${error.message}: ${first.Message ?? ''}${first.Detail ? ` (${first.Detail})` : ''}` : error.message;
}

/**
 * QuickBooks allows 500 requests a minute per company (realm): requests wait here for a free slot
 * instead of being refused with 429. One worker serves one organization's integration, so the window
 * is per realm within a hub process; a 429 that still comes is retried by the SDK's client.
 */
const windows = new Map<string, number[]>();
export async function takeSlot(realmId: string, perMinute: number, now: () => number = Date.now): Promise<void> {
  for (;;) {
    const sent = (windows.get(realmId) ?? []).filter((at) => at > now() - WINDOW_MS);
    windows.set(realmId, sent);
    if (sent.length < perMinute) {
      sent.push(now());
      return;
    }
    await sleep(Math.max(1, (sent[0] ?? now()) + WINDOW_MS - now()));
  }
}

export interface QboApi {
  realmId: string;
  read(entity: EntityName, id: string): Promise<QboEntity>;
  /** A `select` statement; every page of it. */
  query(statement: string): Promise<QboEntity[]>;
  /** Creates (no `Id`) or updates (`Id` and `SyncToken`, sparse) an entity; `requestId` makes a create safe to retry. */
  save(entity: EntityName, body: Record<string, unknown>, options?: { requestId?: string; operation?: 'void' }): Promise<QboEntity>;
  /** The entities changed since `since` (Change Data Capture, at most 30 days back), and the server's time of the answer. */
  changes(entities: EntityName[], since: string): Promise<{ time: string; byEntity: Record<string, QboEntity[]> }>;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** A `where Field = 'value'` statement, the value escaped as QuickBooks' query language wants. */
export const whereEquals = (entity: EntityName, field: string, value: string): string => `select * from ${entity} where ${field} = ${quote(value)}`;

async function realmOf(ctx: Ctx): Promise<string> {
  const realmId = ctx.config.realmId ?? (await ctx.auth.authorizationParams())['realmId'];
  if (!realmId) throw new Error('QuickBooks gave no realmId with the authorization and the config names none: authorize again, or set config.realmId');
  return realmId;
}

/** The v3 API of the organization's company through the SDK's client (bearer token, 401 refresh, 429 and 5xx retries). */
export async function qbo(ctx: Ctx): Promise<QboApi> {
  const realmId = await realmOf(ctx);
  const origin = (ctx.config.baseUrl ?? ORIGIN[ctx.config.environment ?? 'production']).replace(/\/+$/, '');
  const client: HttpClient = ctx.http({ baseUrl: `${origin}/v3/company/${realmId}`, backoff: { initialMs: 1000, maxMs: 60_000 }, retries: 4 });
  const minorversion = ctx.config.minorVersion ?? '75';
  const perMinute = ctx.config.requestsPerMinute ?? 500;
  const call = async <T>(method: 'GET' | 'POST', path: string, options: { query?: Record<string, string>; json?: unknown } = {}): Promise<T> => {
    await takeSlot(realmId, perMinute);
    const response = await client.request<T>(method, path, { query: { minorversion, ...options.query }, ...(options.json === undefined ? {} : { json: options.json }), ...(options.query?.['requestid'] ? { idempotent: true } : {}) });
    return response.data;
  };
  const lower = (entity: EntityName): string => entity.toLowerCase();
  return {
    realmId,
    async read(entity, id) {
      const answer = await call<Record<string, QboEntity>>('GET', `/${lower(entity)}/${encodeURIComponent(id)}`);
      return answer[entity] as QboEntity;
    },
    async query(statement) {
      const out: QboEntity[] = [];
      const pageSize = 500;
      for (let start = 1; ; start += pageSize) {
        const answer = await call<{ QueryResponse?: Record<string, unknown> }>('GET', '/query', { query: { query: `${statement} startposition ${start} maxresults ${pageSize}` } });
        const entity = /from\s+(\w+)/i.exec(statement)?.[1] ?? '';
        const page = (answer.QueryResponse?.[entity] as QboEntity[] | undefined) ?? [];
        out.push(...page);
        if (page.length < pageSize) return out;
      }
    },
    async save(entity, body, options = {}) {
      const query: Record<string, string> = {};
      if (options.requestId) query['requestid'] = options.requestId;
      if (options.operation) query['operation'] = options.operation;
      const answer = await call<Record<string, QboEntity>>('POST', `/${lower(entity)}`, { query, json: body });
      return answer[entity] as QboEntity;
    },
    async changes(entities, since) {
      const answer = await call<{ CDCResponse?: Array<{ QueryResponse?: Array<Record<string, unknown>> }>; time: string }>('GET', '/cdc', { query: { entities: entities.join(','), changedSince: since } });
      const byEntity: Record<string, QboEntity[]> = {};
      for (const response of answer.CDCResponse ?? []) {
        for (const part of response.QueryResponse ?? []) {
          for (const entity of entities) if (Array.isArray(part[entity])) (byEntity[entity] ??= []).push(...(part[entity] as QboEntity[]));
        }
      }
      return { time: answer.time, byEntity };
    },
  };
}

/**
 * Updates an entity from its current version: reads it, builds the change from it (with its SyncToken),
 * and when QuickBooks answers that the SyncToken is stale (someone changed it meanwhile) reads it again
 * and tries once more.
 */
export async function saveCurrent(api: QboApi, entity: EntityName, id: string, change: (current: QboEntity) => Record<string, unknown>, options: { operation?: 'void' } = {}): Promise<QboEntity> {
  let current = await api.read(entity, id);
  try {
    return await api.save(entity, { ...change(current), Id: id, SyncToken: current.SyncToken }, options);
  } catch (error) {
    if (!faultCodes(error).includes(STALE_OBJECT)) throw error;
    current = await api.read(entity, id);
    return api.save(entity, { ...change(current), Id: id, SyncToken: current.SyncToken }, options);
  }
}
