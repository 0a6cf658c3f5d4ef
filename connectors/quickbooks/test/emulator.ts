import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * QuickBooks Online on 127.0.0.1, from Intuit's v3 description (the XSDs in shared/fixtures): the OAuth2
 * endpoints (authorization code with `realmId` on the callback, refresh with rotation), and under
 * `/v3/company/{realmId}` the entity create/update/read endpoints with their `{ "<Entity>": {…}, "time" }`
 * envelopes, SyncToken checks (a stale one is Fault 5010), `requestid` idempotency, `operation=void`,
 * the query language's `select * from X [where F = 'v'] [startposition n maxresults m]`, the Change Data
 * Capture feed (`CDCResponse`), `Fault` errors, throttling (429 past the per-minute limit of a realm) and
 * expired or revoked tokens (401).
 */
export interface QboEmulator {
  url: string;
  realmId: string;
  client: { id: string; secret: string };
  /** Entities by name, then by Id. */
  store: Map<string, Map<string, Record<string, unknown>>>;
  /** Every API request (not OAuth), in order. */
  requests: Array<{ method: string; path: string; query: Record<string, string>; body: unknown; status: number; answer: unknown }>;
  tokenRequests: Record<'authorization_code' | 'refresh_token', number>;
  accessTokenTtl: number;
  /** Requests a realm may make per minute before 429. */
  perMinute: number;
  /** Called before each create or update is applied (a test makes a conflicting edit here). */
  beforeSave: ((entity: string, body: Record<string, unknown>) => void) | undefined;
  /** The next n API requests are refused with 429 whatever the rate. */
  throttleNext(n: number): void;
  /** Access tokens stop working (as when one expires mid-sync): the next request gets 401. */
  expireAccessTokens(): void;
  /** Someone edits an entity in QuickBooks: the fields are replaced, SyncToken and LastUpdatedTime move on. */
  edit(entity: string, id: string, change: Record<string, unknown>): Record<string, unknown>;
  /** Adds an entity as if made in QuickBooks. */
  add(entity: string, fields: Record<string, unknown>): Record<string, unknown>;
  all(entity: string): Array<Record<string, unknown>>;
  /** A fresh access token, as the token endpoint would give one (for tests that skip the OAuth flow). */
  issueToken(): string;
  close(): Promise<void>;
}

const READABLE = new Set(['customer', 'invoice', 'payment', 'item', 'companyinfo']);
const NAMES: Record<string, string> = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment', item: 'Item', companyinfo: 'CompanyInfo' };
const now = (): string => new Date().toISOString();
const token = (prefix: string): string => `${prefix}_${randomBytes(18).toString('base64url')}`;

function fault(status: number, type: string, code: string, message: string, detail?: string): { status: number; body: unknown } {
  return { status, body: { Fault: { Error: [{ Message: message, ...(detail ? { Detail: detail } : {}), code }], type }, time: now() } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startQboEmulator(options: { realmId?: string } = {}): Promise<QboEmulator> {
  const realmId = options.realmId ?? String(9130000000000000 + Math.floor(Math.random() * 999999));
  const store = new Map<string, Map<string, Record<string, unknown>>>();
  const codes = new Map<string, string>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, number>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const sent: number[] = [];
  let forced = 0;
  let nextId = 100;

  const table = (entity: string): Map<string, Record<string, unknown>> => {
    let t = store.get(entity);
    if (!t) store.set(entity, (t = new Map()));
    return t;
  };
  const stamp = (record: Record<string, unknown>, created: boolean): void => {
    const at = now();
    const meta = (record['MetaData'] ?? {}) as Record<string, string>;
    record['MetaData'] = { CreateTime: created ? at : (meta['CreateTime'] ?? at), LastUpdatedTime: at };
  };
  const total = (lines: unknown): number => Math.round(((lines as Array<{ Amount?: number }> | undefined) ?? []).reduce((sum, l) => sum + Number(l.Amount ?? 0), 0) * 100) / 100;

  function insert(entity: string, fields: Record<string, unknown>): Record<string, unknown> {
    const record: Record<string, unknown> = { ...fields, Id: String(nextId++), SyncToken: '0', domain: 'QBO', sparse: false };
    if (entity === 'Invoice') {
      record['TotalAmt'] = total(record['Line']);
      record['Balance'] = record['TotalAmt'];
    }
    stamp(record, true);
    table(entity).set(record['Id'] as string, record);
    return record;
  }

  function settle(payment: Record<string, unknown>): void {
    for (const line of (payment['Line'] as Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? []) {
      for (const linked of line.LinkedTxn ?? []) {
        const invoice = table('Invoice').get(linked.TxnId);
        if (invoice) invoice['Balance'] = Math.round((Number(invoice['Balance']) - Number(line.Amount ?? 0)) * 100) / 100;
      }
    }
  }

  function validate(entity: string, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
    const missing = (field: string): { status: number; body: unknown } => fault(400, 'ValidationFault', '2020', 'Required param missing, need to supply the required value for the API', `Required parameter ${field} is missing in the request`);
    if (entity === 'Customer' && !body['DisplayName']) return missing('DisplayName');
    if (entity === 'Item' && !body['Name']) return missing('Name');
    if ((entity === 'Invoice' || entity === 'Payment') && !(body['CustomerRef'] as { value?: string } | undefined)?.value) return missing('CustomerRef');
    if (entity === 'Invoice' && !Array.isArray(body['Line'])) return missing('Line');
    if (entity === 'Payment' && body['TotalAmt'] === undefined) return missing('TotalAmt');
    const ref = body['CustomerRef'] as { value?: string } | undefined;
    if (ref?.value && !table('Customer').has(ref.value)) return fault(400, 'ValidationFault', '2500', 'Invalid Reference Id', `Invalid Reference Id : Customer ${ref.value}`);
    const unique = entity === 'Customer' ? 'DisplayName' : entity === 'Item' ? 'Name' : undefined;
    if (unique && [...table(entity).values()].some((r) => r[unique] === body[unique] && r['Id'] !== body['Id'])) return fault(400, 'ValidationFault', '6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Id=${String([...table(entity).values()].find((r) => r[unique] === body[unique])?.['Id'])}`);
    return undefined;
  }

  function save(entity: string, body: Record<string, unknown>, operation: string | undefined): { status: number; body: unknown } {
    emulator.beforeSave?.(entity, body);
    if (body['Id'] === undefined) {
      const invalid = validate(entity, body);
      if (invalid) return invalid;
      const record = insert(entity, body);
      if (entity === 'Payment') settle(record);
      return { status: 200, body: { [entity]: record, time: now() } };
    }
    const current = table(entity).get(body['Id'] as string);
    if (!current) return fault(400, 'ValidationFault', '610', 'Object Not Found', `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`);
    if (String(body['SyncToken']) !== current['SyncToken']) return fault(400, 'ValidationFault', '5010', 'Stale Object Error', `Stale Object Error : You and ${'someone else'} were working on this at the same time. Object Id: ${current['Id'] as string}, SyncToken ${body['SyncToken'] as string}, latest ${current['SyncToken'] as string}`);
    let next: Record<string, unknown>;
    if (operation === 'void') {
      next = { ...current, PrivateNote: 'Voided', TotalAmt: 0, Balance: 0, Line: ((current['Line'] as Array<Record<string, unknown>>) ?? []).map((l) => ({ ...l, Amount: 0 })) };
    } else {
      const { sparse, ...change } = body;
      next = sparse === true ? { ...current, ...change } : { ...change, Id: current['Id'], MetaData: current['MetaData'] };
      const invalid = validate(entity, next);
      if (invalid) return invalid;
      if (entity === 'Invoice') {
        next['TotalAmt'] = total(next['Line']);
        next['Balance'] = Math.max(0, Number(next['TotalAmt']) - (Number(current['TotalAmt']) - Number(current['Balance'])));
      }
    }
    next['SyncToken'] = String(Number(current['SyncToken']) + 1);
    stamp(next, false);
    table(entity).set(String(current['Id']), next);
    return { status: 200, body: { [entity]: next, time: now() } };
  }

  function query(statement: string): { status: number; body: unknown } {
    const m = /^select \* from (\w+)(?: where (\w+) = '((?:[^'\\]|\\.)*)')?(?: startposition (\d+))?(?: maxresults (\d+))?$/i.exec(statement.trim());
    if (!m) return fault(400, 'ValidationFault', '4000', 'Error parsing query', `QueryParserError: Encountered an unsupported query: ${statement}`);
    const entity = Object.values(NAMES).find((n) => n.toLowerCase() === m[1]!.toLowerCase()) ?? m[1]!;
    if (entity === 'CompanyInfo') return { status: 200, body: { QueryResponse: { CompanyInfo: [{ Id: '1', SyncToken: '0', CompanyName: 'Emulated Company' }], startPosition: 1, maxResults: 1 }, time: now() } };
    const value = m[3]?.replace(/\\(.)/g, '$1');
    const all = [...table(entity).values()].filter((r) => !m[2] || String(r[m[2]]) === value);
    const start = Number(m[4] ?? 1);
    const max = Math.min(Number(m[5] ?? 100), 1000);
    const page = all.slice(start - 1, start - 1 + max);
    return { status: 200, body: { QueryResponse: page.length > 0 ? { [entity]: page, startPosition: start, maxResults: page.length } : {}, time: now() } };
  }

  function cdc(q: URLSearchParams): { status: number; body: unknown } {
    const since = Date.parse(q.get('changedSince') ?? '');
    if (Number.isNaN(since)) return fault(400, 'ValidationFault', '2020', 'Required param missing, need to supply the required value for the API', 'Required parameter changedSince is missing in the request');
    if (since < Date.now() - 30 * 86_400_000) return fault(400, 'ValidationFault', '4000', 'Invalid Request', 'changedSince must be within the last 30 days');
    const parts = (q.get('entities') ?? '').split(',').filter(Boolean).map((name) => {
      const changed = [...table(name).values()].filter((r) => Date.parse((r['MetaData'] as { LastUpdatedTime: string }).LastUpdatedTime) >= since);
      return changed.length > 0 ? { [name]: changed, startPosition: 1, maxResults: changed.length } : {};
    });
    return { status: 200, body: { CDCResponse: [{ QueryResponse: parts }], time: now() } };
  }

  function throttled(): boolean {
    if (forced > 0) {
      forced -= 1;
      return true;
    }
    const t = Date.now();
    while (sent.length > 0 && sent[0]! <= t - 60_000) sent.shift();
    if (sent.length >= emulator.perMinute) return true;
    sent.push(t);
    return false;
  }

  async function api(req: IncomingMessage, url: URL, rest: string[], text: string): Promise<{ status: number; body: unknown }> {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const until = accessTokens.get(bearer);
    if (until === undefined || until <= Date.now()) return fault(401, 'AUTHENTICATION', '3200', 'message=AuthenticationFailed; errorCode=003200; statusCode=401', 'Token expired or invalid');
    if (throttled()) return fault(429, 'SERVICE', '003001', 'message=ThrottleExceeded; errorCode=003001; statusCode=429', 'The request limit for this resource has been reached for the current rate limit window.');
    const q = url.searchParams;
    const [resource, id] = rest;
    if (req.method === 'GET' && resource === 'query') return query(q.get('query') ?? '');
    if (req.method === 'GET' && resource === 'cdc') return cdc(q);
    const entity = NAMES[resource ?? ''];
    if (!entity || !READABLE.has(resource ?? '')) return fault(400, 'ValidationFault', '4000', 'Unsupported Operation', `Operation ${req.method} /${rest.join('/')} is not supported`);
    if (req.method === 'GET' && id) {
      const record = table(entity).get(id);
      return record ? { status: 200, body: { [entity]: record, time: now() } } : fault(400, 'ValidationFault', '610', 'Object Not Found', `Object Not Found : ${entity} ${id}`);
    }
    if (req.method === 'POST' && !id) {
      const requestId = q.get('requestid');
      const seen = requestId ? idempotent.get(`${entity}:${requestId}`) : undefined;
      if (seen) return seen;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return fault(400, 'ValidationFault', '2310', 'Invalid request body', 'Request has invalid or unsupported property');
      }
      const answer = save(entity, body, q.get('operation') ?? undefined);
      if (requestId && answer.status === 200) idempotent.set(`${entity}:${requestId}`, answer);
      return answer;
    }
    return fault(405, 'ValidationFault', '4000', 'Unsupported Operation', `${req.method} is not supported here`);
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const back = new URL(q.get('redirect_uri') ?? '');
    back.searchParams.set('state', q.get('state') ?? '');
    if (q.get('client_id') !== emulator.client.id || q.get('scope') !== 'com.intuit.quickbooks.accounting') back.searchParams.set('error', 'invalid_scope');
    else {
      const code = token('code');
      codes.set(code, q.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('realmId', realmId);
    }
    res.writeHead(302, { location: back.href }).end();
  }

  async function tokens(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' || grant === 'refresh_token') emulator.tokenRequests[grant] += 1;
    const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    const answer = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (basic !== `${emulator.client.id}:${emulator.client.secret}`) return answer(401, { error: 'invalid_client' });
    if (grant === 'authorization_code') {
      const redirect = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (redirect === undefined || redirect !== form.get('redirect_uri')) return answer(400, { error: 'invalid_grant' });
    } else if (grant === 'refresh_token') {
      if (!refreshTokens.delete(form.get('refresh_token') ?? '')) return answer(400, { error: 'invalid_grant' });
    } else return answer(400, { error: 'unsupported_grant_type' });
    const access = token('eyJhbGci');
    const refresh = token('AB11');
    accessTokens.set(access, Date.now() + emulator.accessTokenTtl * 1000);
    refreshTokens.add(refresh);
    answer(200, { access_token: access, token_type: 'bearer', expires_in: emulator.accessTokenTtl, refresh_token: refresh, x_refresh_token_expires_in: 8_726_400 });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/connect/oauth2') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/oauth2/v1/tokens/bearer') return void tokens(req, res);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'v3' || parts[1] !== 'company') return void res.writeHead(404).end();
    void readBody(req).then(async (text) => {
      const answer = parts[2] !== realmId ? fault(403, 'AUTHORIZATION', '3100', 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403') : await api(req, url, parts.slice(3), text);
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Kept as text: the test sees what was sent.
      }
      emulator.requests.push({ method: req.method ?? 'GET', path: `/${parts.slice(3).join('/')}`, query: Object.fromEntries(url.searchParams), body, status: answer.status, answer: answer.body });
      res.writeHead(answer.status, { 'content-type': 'application/json', intuit_tid: token('tid') }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const emulator: QboEmulator = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    realmId,
    client: { id: 'ABqbo_client_emulated', secret: 'qbo_secret_emulated_0123456789' },
    store,
    requests: [],
    tokenRequests: { authorization_code: 0, refresh_token: 0 },
    accessTokenTtl: 3600,
    perMinute: 500,
    beforeSave: undefined,
    throttleNext: (n) => void (forced = n),
    expireAccessTokens: () => accessTokens.clear(),
    edit(entity, id, change) {
      const current = table(entity).get(id);
      if (!current) throw new Error(`no ${entity} ${id}`);
      const next: Record<string, unknown> = { ...current, ...change, SyncToken: String(Number(current['SyncToken']) + 1) };
      if (entity === 'Invoice' && change['Line']) {
        next['TotalAmt'] = total(next['Line']);
        next['Balance'] = next['TotalAmt'];
      }
      stamp(next, false);
      table(entity).set(id, next);
      return next;
    },
    add: (entity, fields) => insert(entity, fields),
    all: (entity) => [...table(entity).values()],
    issueToken() {
      const access = token('eyJhbGci');
      accessTokens.set(access, Date.now() + emulator.accessTokenTtl * 1000);
      return access;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return emulator;
}
