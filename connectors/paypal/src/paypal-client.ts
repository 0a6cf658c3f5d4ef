import { createHash } from 'node:crypto';
import { Client, Environment, OrdersController, PaymentsController, type OAuthToken } from '@paypal/paypal-server-sdk';
import { HttpError, type ConnectorContext, type HttpClient, type HttpRequestOptions } from '@uah/connector-sdk';

export interface Credentials {
  clientId: string;
  clientSecret: string;
  webhookId: string;
  environment: 'sandbox' | 'live';
}
export interface Config {
  baseUrl?: string;
  timeoutMs?: number;
}
export type PayPalContext = ConnectorContext<Credentials, Config>;

const ORIGINS = { sandbox: 'https://api-m.sandbox.paypal.com', live: 'https://api-m.paypal.com' } as const;

/** PayPal's REST API for this integration: the environment's own, or the configured base URL (a test double). */
export function apiBase(ctx: PayPalContext): string {
  return (ctx.config.baseUrl ?? ORIGINS[ctx.credentials.environment]).replace(/\/+$/, '');
}

/**
 * Access tokens by API, client id and secret. A token is good for hours; keeping it for the worker's
 * lifetime saves a token call per request. It is only a cache: another process fetches its own.
 */
const tokens = new Map<string, OAuthToken>();
const tokenKey = (ctx: PayPalContext): string =>
  createHash('sha256').update(`${apiBase(ctx)}\n${ctx.credentials.clientId}\n${ctx.credentials.clientSecret}`).digest('hex');

/** The parts of an axios request config the SDK hands its adapter. */
interface AdapterRequest {
  url?: string;
  method?: string;
  headers?: { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
  data?: unknown;
}

/** Requests that may be sent again after a 5xx or a timeout: reads, the token call, and writes carrying PayPal-Request-Id. */
function safeToRetry(method: string, url: string, headers: Record<string, string>): boolean {
  return method === 'GET' || url.endsWith('/v1/oauth2/token') || 'paypal-request-id' in headers;
}

/** PayPal's error body (`{ name, message, debug_id, details }`) in the error's message, so the organization sees PayPal's reason. */
function withPayPalReason(error: HttpError): HttpError {
  const body = error.body as { name?: string; message?: string; debug_id?: string; details?: Array<{ issue?: string }> } | undefined;
  if (error.code !== 'HTTP_STATUS' || !body || typeof body !== 'object' || !body.name) return error;
  const issues = (body.details ?? []).map((d) => d.issue).filter(Boolean).join(', ');
  const detail = `answered ${error.status} ${body.name}${issues ? ` (${issues})` : ''}: ${body.message ?? ''}${body.debug_id ? ` [debug_id ${body.debug_id}]` : ''}`;
  return new HttpError({ code: error.code, method: error.method, url: error.url, attempts: error.attempts, ...(error.status === undefined ? {} : { status: error.status }), ...(error.headers ? { headers: error.headers } : {}), body: error.body, detail });
}

/**
 * An axios adapter that sends the SDK's requests through the connector SDK's HTTP client: the
 * manifest's hosts and the hub's address policy hold, 429 and `Retry-After` are honoured, each attempt
 * has its timeout, and the SDK's fixed PayPal origin is replaced by {@link apiBase}.
 */
function adapterFor(http: HttpClient, base: string, refused: (error: unknown) => unknown) {
  return async function sendThroughConnectorSdk(config: AdapterRequest) {
    const original = new URL(config.url ?? '/');
    const url = `${base}${original.pathname}${original.search}`;
    const method = (config.method ?? 'get').toUpperCase();
    const raw = typeof config.headers?.toJSON === 'function' ? config.headers.toJSON() : (config.headers ?? {});
    const headers = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k.toLowerCase(), String(v)]));
    delete headers['content-length'];
    const body = typeof config.data === 'string' ? config.data : config.data === undefined ? undefined : JSON.stringify(config.data);
    try {
      const response = await http.request<string>(method, url, { headers, ...(body === undefined ? {} : { body }), responseType: 'text', idempotent: safeToRetry(method, url, headers) });
      return { data: response.data, status: response.status, statusText: '', headers: Object.fromEntries(response.headers), config, request: {} };
    } catch (error) {
      throw refused(error);
    }
  };
}

/**
 * PayPal's JSON as sent, from an SDK response. The SDK also parses it into its own camel-case models;
 * the wire shape is the one webhooks carry, so one mapping reads both.
 */
export function wire<T>(response: { body: unknown }): T {
  if (typeof response.body !== 'string') throw new TypeError('PayPal answered without a JSON body');
  return JSON.parse(response.body) as T;
}

/** PayPal's SDK for one invocation, its OAuth2 token kept in {@link tokens} and refreshed by the SDK's own helper. */
export interface PayPal {
  orders: OrdersController;
  payments: PaymentsController;
  /** A REST call the PayPal SDK does not cover (webhooks), with the token and PayPal's reason in errors. */
  rest<T>(method: string, path: string, options?: HttpRequestOptions): Promise<T>;
}

export function paypal(ctx: PayPalContext): PayPal {
  const base = apiBase(ctx);
  const key = tokenKey(ctx);
  const http = ctx.http({ baseUrl: base, timeoutMs: ctx.config.timeoutMs ?? 30_000 });
  const cached = tokens.get(key);
  /** PayPal's reason in the error; a token PayPal no longer takes (401) is forgotten, so the next call fetches a new one. */
  const refused = (error: unknown): unknown => {
    if (!(error instanceof HttpError)) return error;
    if (error.status === 401) tokens.delete(key);
    return withPayPalReason(error);
  };
  const client = new Client({
    environment: ctx.credentials.environment === 'live' ? Environment.Production : Environment.Sandbox,
    timeout: 0,
    clientCredentialsAuthCredentials: {
      oAuthClientId: ctx.credentials.clientId,
      oAuthClientSecret: ctx.credentials.clientSecret,
      ...(cached ? { oAuthToken: cached } : {}),
      oAuthOnTokenUpdate: (token: OAuthToken) => void tokens.set(key, token),
    },
    unstable_httpClientOptions: { adapter: adapterFor(http, base, refused) },
  });
  /** A valid access token: the cached one, or one the SDK's client-credentials helper fetches or refreshes. */
  async function accessToken(): Promise<string> {
    const token = await client.clientCredentialsAuthManager.updateToken(tokens.get(key));
    tokens.set(key, token);
    return token.accessToken;
  }
  return {
    orders: new OrdersController(client),
    payments: new PaymentsController(client),
    async rest<T>(method: string, path: string, options: HttpRequestOptions = {}) {
      const headers = { ...options.headers, authorization: `Bearer ${await accessToken()}` };
      try {
        return (await http.request<T>(method, path, { ...options, headers })).data;
      } catch (error) {
        throw refused(error);
      }
    },
  };
}
