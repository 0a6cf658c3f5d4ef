import { HttpError, type ConnectorContext, type HttpClient, type QueryParams } from '@uah/connector-sdk';
import { AccountingApi, ObjectSerializer, type Allocations, type Contacts, type CreditNotes, type Invoices, type Payments } from 'xero-node';

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
  list(collection: 'Contacts' | 'Invoices' | 'Payments', options?: { since?: string | undefined; where?: string }): Promise<XeroRecord[]>;
  get(collection: 'Contacts' | 'Invoices', id: string): Promise<XeroRecord | undefined>;
  /** Creates or updates (POST) or creates (PUT) records; the `Idempotency-Key` makes a retry safe. */
  save(collection: Collection | `CreditNotes/${string}/Allocations`, method: 'POST' | 'PUT', records: XeroRecord[], idempotencyKey: string): Promise<XeroRecord[]>;
}

/**
 * The organisation (tenant) to call: the config's, else the one found in `GET /connections` after the
 * authorization (kept in the sync state; a new authorization that no longer includes it looks again).
 * xero-node reads connections through its own OAuth client (`XeroClient.updateTenants`), which the hub's
 * OAuth replaces, so this one call is plain HTTP.
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

/** The axios request config xero-node builds for a call (`AccountingApi`'s `localVarRequestOptions`), as its adapter receives it. */
type SdkRequest = Parameters<Parameters<AccountingApi['setDefaultAuthentication']>[0]['applyToRequest']>[0];
/** What one SDK call left behind: the connector SDK's own error, which xero-node would otherwise flatten into a JSON string. */
interface Outcome { error?: Error }

/**
 * An axios adapter that sends xero-node's request through the connector SDK's HTTP client, so the
 * manifest's hosts and the hub's address policy hold, 429s wait for their `Retry-After`, and a 401
 * renews the hub's token once. xero-node's `Authorization` header is left out: the client puts the
 * hub's current token on every attempt (the same `ctx.auth.accessToken()`, renewed after a 401).
 */
function adapterFor(http: HttpClient, outcome: Outcome, watch: (headers: Headers) => void) {
  return async function sendThroughConnectorSdk(config: SdkRequest) {
    const method = (config.method ?? 'get').toUpperCase();
    const raw = (config.headers ?? {}) as { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
    const all = typeof raw.toJSON === 'function' ? raw.toJSON() : raw;
    const headers = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k.toLowerCase(), String(v)]));
    delete headers['content-length'];
    delete headers['authorization'];
    const query: QueryParams = Object.fromEntries(Object.entries((config.params ?? {}) as Record<string, unknown>).filter((e): e is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof e[1])));
    // xero-node gives its reads an empty `{}` body, which a GET cannot carry.
    const body = method === 'GET' || method === 'HEAD' || config.data === undefined || config.data === null ? undefined : typeof config.data === 'string' ? config.data : JSON.stringify(config.data);
    try {
      const response = await http.request<unknown>(method, config.url ?? '/', { headers, query, ...(body === undefined ? {} : { body }) });
      watch(response.headers);
      return { data: response.data, status: response.status, statusText: '', headers: Object.fromEntries(response.headers), config, request: {} };
    } catch (error) {
      outcome.error = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  };
}

/** Xero's records as sent on the wire (PascalCase, `/Date(…)/`), from the response of an SDK call. */
function envelope(data: unknown, name: string): XeroRecord[] {
  return ((data as Record<string, unknown> | undefined)?.[name] as XeroRecord[] | undefined) ?? [];
}

/**
 * Xero's Accounting API through `xero-node`'s `AccountingApi`, its requests sent by the connector SDK's
 * HTTP client (see {@link adapterFor}): the bearer token (refreshed by the hub, and once more after a
 * 401), `xero-tenant-id`, 429s waited out for their `Retry-After` (the minute limit) or failed at once
 * when it is longer than two minutes (the day limit), and a warning when a limit runs low. The records
 * keep Xero's wire shape: xero-node's models are built from them for a write (`ObjectSerializer`), and
 * the answer is read as Xero sent it.
 */
export async function xero(ctx: Ctx): Promise<XeroApi> {
  const origin = (ctx.config.baseUrl ?? ORIGIN).replace(/\/+$/, '');
  const tenantId = await tenantOf(ctx, origin);
  const http: HttpClient = ctx.http({ baseUrl: origin, retries: 4, maxRetryAfterMs: 120_000 });
  let warned = false;
  const watch = (headers: Headers): void => {
    const minute = Number(headers.get('x-minlimit-remaining') ?? 'NaN');
    const day = Number(headers.get('x-daylimit-remaining') ?? 'NaN');
    if (!warned && (day < 100 || minute < 5)) {
      warned = true;
      ctx.logger.warn('Xero rate limit running low', { minuteRemaining: minute, dayRemaining: day });
    }
  };
  /** One AccountingApi call; its failure is the connector SDK's HttpError (status, headers and Xero's body), not xero-node's JSON string. */
  async function call(send: (api: AccountingApi) => Promise<{ response: { data?: unknown } }>): Promise<unknown> {
    const outcome: Outcome = {};
    const api = new AccountingApi(`${origin}/api.xro/2.0`);
    api.accessToken = await ctx.auth.accessToken();
    api.setDefaultAuthentication({ applyToRequest: (request) => void Object.assign(request, { adapter: adapterFor(http, outcome, watch) }) });
    try {
      return (await send(api)).response.data;
    } catch (error) {
      throw outcome.error ?? new Error(`xero-node failed before sending the request: ${typeof error === 'string' ? error : error instanceof Error ? error.message : JSON.stringify(error)}`);
    }
  }
  const model = <T>(name: string, records: XeroRecord[]): T => ObjectSerializer.deserialize({ [name]: records }, name) as T;
  return {
    tenantId,
    async list(collection, options = {}) {
      const since = options.since ? new Date(options.since) : undefined;
      const out: XeroRecord[] = [];
      for (let page = 1; ; page++) {
        const data = await call((api) => {
          if (collection === 'Contacts') return api.getContacts(tenantId, since, options.where, undefined, undefined, page, undefined, undefined, undefined, PAGE_SIZE);
          if (collection === 'Invoices') return api.getInvoices(tenantId, since, options.where, undefined, undefined, undefined, undefined, undefined, page, undefined, undefined, undefined, undefined, PAGE_SIZE);
          return api.getPayments(tenantId, since, options.where, undefined, page, PAGE_SIZE);
        });
        const items = envelope(data, collection);
        out.push(...items);
        if (items.length < PAGE_SIZE) return out;
      }
    },
    async get(collection, id) {
      try {
        const data = await call((api) => (collection === 'Contacts' ? api.getContact(tenantId, id) : api.getInvoice(tenantId, id)));
        return envelope(data, collection)[0];
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) return undefined;
        throw error;
      }
    },
    async save(collection, method, records, idempotencyKey) {
      const key = idempotencyKey.slice(0, 128);
      const allocation = /^CreditNotes\/([^/]+)\/Allocations$/.exec(collection);
      if (allocation) {
        const creditNoteId = decodeURIComponent(allocation[1] ?? '');
        return envelope(await call((api) => api.createCreditNoteAllocation(tenantId, creditNoteId, model<Allocations>('Allocations', records), undefined, key)), 'Allocations');
      }
      const data = await call((api) => {
        switch (`${method} ${collection}`) {
          case 'POST Contacts': return api.updateOrCreateContacts(tenantId, model<Contacts>('Contacts', records), undefined, key);
          case 'PUT Contacts': return api.createContacts(tenantId, model<Contacts>('Contacts', records), undefined, key);
          case 'POST Invoices': return api.updateOrCreateInvoices(tenantId, model<Invoices>('Invoices', records), undefined, undefined, key);
          case 'PUT Invoices': return api.createInvoices(tenantId, model<Invoices>('Invoices', records), undefined, undefined, key);
          case 'PUT Payments': return api.createPayments(tenantId, model<Payments>('Payments', records), undefined, key);
          case 'PUT CreditNotes': return api.createCreditNotes(tenantId, model<CreditNotes>('CreditNotes', records), undefined, undefined, key);
          case 'POST CreditNotes': return api.updateOrCreateCreditNotes(tenantId, model<CreditNotes>('CreditNotes', records), undefined, undefined, key);
          default: throw new Error(`no xero-node call writes ${collection} with ${method}`);
        }
      });
      return envelope(data, collection);
    },
  };
}
