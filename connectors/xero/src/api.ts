import { HttpError, type ConnectorContext, type HttpClient } from '@uah/connector-sdk';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export interface Config {
  baseUrl?: string;
  tenantId?: string;
  salesAccountCode?: string;
  paymentAccountCode?: string;
}

export type Ctx = ConnectorContext<Credentials, Config>;
export type XeroRecord = Record<string, unknown>;
/** The collections the connector reads and writes, as Xero names them in paths and envelopes. */
export type Collection = 'Contacts' | 'Invoices' | 'Payments' | 'CreditNotes';

const ORIGIN = 'https://api.xero.com';
const TENANT_KEY = 'xero.tenantId';
const PAGE_SIZE = 100;

/** A string or number as text; anything else as ''. */
export const textOf = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** Xero's `/Date(1573755038314+0000)/` as an ISO instant. */
export function msDate(value: unknown): string | undefined {
  const m = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(textOf(value));
  return m ? new Date(Number(m[1])).toISOString() : undefined;
}

/** A document date of Xero's (`DateString`, else the `/Date(…)/` form) as YYYY-MM-DD. */
export function dayOf(record: XeroRecord, field: 'Date' | 'DueDate'): string | undefined {
  const text = textOf(record[`${field}String`]) || msDate(record[field]) || textOf(record[field]);
  return /^\d{4}-\d{2}-\d{2}/.test(text) ? text.slice(0, 10) : undefined;
}

/** The messages of Xero's ValidationException (`Elements[].ValidationErrors[].Message`), or the error's own. */
export function xeroMessage(error: unknown): string {
  if (!(error instanceof HttpError)) return error instanceof Error ? error.message : String(error);
  const body = error.body as { Message?: string; Detail?: string; Elements?: Array<{ ValidationErrors?: Array<{ Message?: string }> }> } | undefined;
  const details = (body?.Elements ?? []).flatMap((e) => (e.ValidationErrors ?? []).map((v) => v.Message ?? '')).filter(Boolean);
  const rate = error.headers?.get('x-rate-limit-problem');
  return `${error.message}${rate ? ` (${rate} rate limit reached)` : ''}${details.length > 0 ? `: ${details.join('; ')}` : body?.Message || body?.Detail ? `: ${body.Message ?? body.Detail}` : ''}`;
}

export interface XeroApi {
  tenantId: string;
  /** Every record of a collection changed since `since` (`If-Modified-Since`), page by page. */
  list(collection: Collection, options?: { since?: string | undefined; where?: string }): Promise<XeroRecord[]>;
  get(collection: Collection, id: string): Promise<XeroRecord | undefined>;
  /** Creates or updates (POST) or creates (PUT) records; the `Idempotency-Key` makes a retry safe. */
  save(collection: Collection | `CreditNotes/${string}/Allocations`, method: 'POST' | 'PUT', records: XeroRecord[], idempotencyKey: string): Promise<XeroRecord[]>;
}

/**
 * The organisation (tenant) to call: the config's, else the one found in `GET /connections` after the
 * authorization (kept in the sync state; a new authorization that no longer includes it looks again).
 */
async function tenantOf(ctx: Ctx, origin: string): Promise<string> {
  if (ctx.config.tenantId) return ctx.config.tenantId;
  const kept = await ctx.syncState.get(TENANT_KEY);
  if (typeof kept === 'string') return kept;
  const connections = await ctx.http({ baseUrl: origin, retries: 2 }).get<Array<{ tenantId: string; tenantType?: string }>>('/connections');
  const tenant = connections.find((c) => c.tenantType === 'ORGANISATION') ?? connections[0];
  if (!tenant) throw new Error('the Xero authorization connected no organisation: authorize again and choose one');
  await ctx.syncState.set(TENANT_KEY, tenant.tenantId);
  return tenant.tenantId;
}

/**
 * The Accounting API through the SDK's HTTP client: the bearer token (refreshed by the hub, and once more
 * after a 401), `xero-tenant-id`, 429s waited out for their `Retry-After` (the minute limit) or failed at
 * once when it is longer than two minutes (the day limit), and a warning when a limit runs low.
 */
export async function xero(ctx: Ctx): Promise<XeroApi> {
  const origin = (ctx.config.baseUrl ?? ORIGIN).replace(/\/+$/, '');
  const tenantId = await tenantOf(ctx, origin);
  const client: HttpClient = ctx.http({ baseUrl: `${origin}/api.xro/2.0`, headers: { 'xero-tenant-id': tenantId }, retries: 4, maxRetryAfterMs: 120_000 });
  let warned = false;
  const watch = (headers: Headers): void => {
    const minute = Number(headers.get('x-minlimit-remaining') ?? 'NaN');
    const day = Number(headers.get('x-daylimit-remaining') ?? 'NaN');
    if (!warned && (day < 100 || minute < 5)) {
      warned = true;
      ctx.logger.warn('Xero rate limit running low', { minuteRemaining: minute, dayRemaining: day });
    }
  };
  return {
    tenantId,
    async list(collection, options = {}) {
      const out: XeroRecord[] = [];
      for (let page = 1; ; page++) {
        const res = await client.request<Record<string, unknown>>('GET', `/${collection}`, {
          query: { page, pageSize: PAGE_SIZE, ...(options.where ? { where: options.where } : {}) },
          headers: options.since ? { 'if-modified-since': new Date(options.since).toUTCString() } : {},
        });
        watch(res.headers);
        const items = (res.data[collection] as XeroRecord[] | undefined) ?? [];
        out.push(...items);
        if (items.length < PAGE_SIZE || collection === 'Contacts' && items.length === 0) return out;
      }
    },
    async get(collection, id) {
      try {
        const res = await client.request<Record<string, unknown>>('GET', `/${collection}/${encodeURIComponent(id)}`);
        watch(res.headers);
        return (res.data[collection] as XeroRecord[] | undefined)?.[0];
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) return undefined;
        throw error;
      }
    },
    async save(collection, method, records, idempotencyKey) {
      const envelope = collection.endsWith('/Allocations') ? 'Allocations' : collection;
      const res = await client.request<Record<string, unknown>>(method, `/${collection}`, { json: { [envelope]: records }, headers: { 'idempotency-key': idempotencyKey.slice(0, 128) } });
      watch(res.headers);
      return (res.data[envelope] as XeroRecord[] | undefined) ?? [];
    },
  };
}
