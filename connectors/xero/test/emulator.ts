import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Xero on 127.0.0.1, from its OpenAPI descriptions (shared/fixtures/providers/xero): the identity
 * endpoints (authorization code with PKCE, refresh with rotation, `GET /connections`), and under
 * `/api.xro/2.0` Contacts, Invoices, Payments, CreditNotes and their Allocations with `{ "Invoices": […] }`
 * envelopes, `/Date(…)/` timestamps, `If-Modified-Since`, `where` on one field, pages of 100, the
 * `Idempotency-Key` header, ValidationException errors, the per-minute and per-day rate limits (429 with
 * `Retry-After` and `X-Rate-Limit-Problem`, the remaining counts on every answer) and expired tokens (401).
 */
export interface XeroEmulator {
  url: string;
  tenantId: string;
  client: { id: string; secret: string };
  /** Records by collection, then by id. */
  store: Map<string, Map<string, Record<string, unknown>>>;
  /** Every Accounting API request, in order, with the body sent and the answer given. */
  requests: Array<{ method: string; path: string; headers: Record<string, string>; body: unknown; status: number; answer: unknown }>;
  tokenRequests: Record<'authorization_code' | 'refresh_token', number>;
  /** Account codes that exist (revenue 200 and 4000, bank 1100 and 090, as in a demo company). */
  accounts: Set<string>;
  perMinute: number;
  /** The window the per-minute limit counts over (tests shorten it). @default 60000 */
  minuteWindowMs: number;
  perDay: number;
  /** Calls made today (reset by a test to simulate the next day). */
  dayCount: number;
  expireAccessTokens(): void;
  issueToken(): string;
  /** Someone edits a record in Xero: fields replaced, UpdatedDateUTC moves on. */
  edit(collection: string, id: string, change: Record<string, unknown>): Record<string, unknown>;
  add(collection: string, fields: Record<string, unknown>): Record<string, unknown>;
  all(collection: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const ID_FIELD: Record<string, string> = { Contacts: 'ContactID', Invoices: 'InvoiceID', Payments: 'PaymentID', CreditNotes: 'CreditNoteID' };
const msDate = (at: number): string => `/Date(${at}+0000)/`;
const token = (prefix: string): string => `${prefix}_${randomBytes(18).toString('base64url')}`;
const round = (n: number): number => Math.round(n * 100) / 100;
const textOf = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

function validation(elements: Array<Record<string, unknown> & { messages: string[] }>): { status: number; body: unknown } {
  return { status: 400, body: { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred', Elements: elements.map(({ messages, ...element }) => ({ ...element, ValidationErrors: messages.map((Message) => ({ Message })) })) } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startXeroEmulator(): Promise<XeroEmulator> {
  const tenantId = randomUUID();
  const store = new Map<string, Map<string, Record<string, unknown>>>();
  const codes = new Map<string, { redirect: string; challenge: string }>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, number>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const knownAccounts = new Set(['200', '4000', '1100', '090']);
  const minute: number[] = [];
  let clock = Date.now();
  /** Strictly increasing update times, so If-Modified-Since sees every later change. */
  const tick = (): number => (clock = Math.max(clock + 1, Date.now()));

  const table = (collection: string): Map<string, Record<string, unknown>> => {
    let t = store.get(collection);
    if (!t) store.set(collection, (t = new Map()));
    return t;
  };
  const touch = (record: Record<string, unknown>): Record<string, unknown> => {
    const at = tick();
    record['UpdatedDateUTC'] = msDate(at);
    return record;
  };
  /** Dates as Xero answers them: `/Date(…)/` and a `…String` twin. */
  const withDates = (record: Record<string, unknown>): Record<string, unknown> => {
    for (const field of ['Date', 'DueDate']) {
      const value = record[field];
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
        record[field] = msDate(Date.parse(`${value}T00:00:00Z`));
        record[`${field}String`] = `${value}T00:00:00`;
      }
    }
    return record;
  };
  const totals = (invoice: Record<string, unknown>): void => {
    const lines = (invoice['LineItems'] as Array<Record<string, unknown>> | undefined) ?? [];
    for (const line of lines) {
      line['LineItemID'] ??= randomUUID();
      line['LineAmount'] = round(Number(line['Quantity'] ?? 1) * Number(line['UnitAmount'] ?? 0) - Number(line['DiscountAmount'] ?? 0));
    }
    invoice['SubTotal'] = round(lines.reduce((s, l) => s + Number(l['LineAmount']), 0));
    invoice['TotalTax'] = 0;
    invoice['Total'] = invoice['SubTotal'];
    invoice['AmountPaid'] ??= 0;
    invoice['AmountCredited'] ??= 0;
    invoice['AmountDue'] = round(Number(invoice['Total']) - Number(invoice['AmountPaid']) - Number(invoice['AmountCredited']));
    if (invoice['Status'] === 'AUTHORISED' && Number(invoice['AmountDue']) === 0 && Number(invoice['Total']) > 0) invoice['Status'] = 'PAID';
  };

  function problems(collection: string, record: Record<string, unknown>, existing: Record<string, unknown> | undefined): string[] {
    const out: string[] = [];
    if (collection === 'Contacts') {
      if (!record['Name']) out.push('The contact name must be specified.');
      else if ([...table('Contacts').values()].some((c) => c['Name'] === record['Name'] && c['ContactID'] !== record['ContactID'])) out.push(`The contact name ${textOf(record['Name'])} is already assigned to another contact. The contact name must be unique across all active contacts.`);
    }
    if (collection === 'Invoices' || collection === 'CreditNotes') {
      const contactId = (record['Contact'] as { ContactID?: string } | undefined)?.ContactID;
      if (!existing && !record['Type']) out.push('Type is required.');
      if (!contactId || !table('Contacts').has(contactId)) out.push('A Contact must be specified with this type of transaction');
      for (const line of (record['LineItems'] as Array<Record<string, unknown>> | undefined) ?? []) {
        if (!knownAccounts.has(textOf(line['AccountCode']))) out.push(`Account code '${textOf(line['AccountCode'])}' is not a valid code for this document.`);
      }
      if (existing && existing['Status'] === 'VOIDED') out.push('This document cannot be edited as it has been voided.');
      if (record['Status'] === 'VOIDED' && existing && Number(existing['AmountPaid'] ?? 0) > 0) out.push('This document cannot be voided as it has payments allocated to it.');
    }
    return out;
  }

  function upsert(collection: string, input: Record<string, unknown>): { record?: Record<string, unknown>; messages: string[] } {
    const idField = ID_FIELD[collection]!;
    const existing = input[idField] ? table(collection).get(textOf(input[idField])) : undefined;
    if (input[idField] && !existing) return { messages: [`${idField} ${textOf(input[idField])} was not found`] };
    const merged = { ...(existing ?? {}), ...input };
    const messages = problems(collection, merged, existing);
    if (messages.length > 0) return { messages };
    const record = withDates(merged);
    record[idField] ??= randomUUID();
    if (collection === 'Invoices' || collection === 'CreditNotes') totals(record);
    if (collection === 'CreditNotes') record['RemainingCredit'] ??= record['Total'];
    if (collection === 'Contacts') record['ContactStatus'] ??= 'ACTIVE';
    touch(record);
    table(collection).set(textOf(record[idField]), record);
    return { record, messages: [] };
  }

  function pay(input: Record<string, unknown>): { record?: Record<string, unknown>; messages: string[] } {
    const invoice = table('Invoices').get(String((input['Invoice'] as { InvoiceID?: string } | undefined)?.InvoiceID ?? ''));
    const code = String((input['Account'] as { Code?: string } | undefined)?.Code ?? '');
    const messages: string[] = [];
    if (!invoice) messages.push('Invoice could not be found');
    else if (invoice['Status'] !== 'AUTHORISED') messages.push('Payment can only be made against Authorised documents');
    else if (Number(input['Amount']) > Number(invoice['AmountDue'])) messages.push('Payment amount exceeds the amount outstanding on this document');
    if (!['1100', '090'].includes(code)) messages.push(`Account code '${code}' is not a valid bank account or does not allow payments`);
    if (messages.length > 0 || !invoice) return { messages };
    invoice['AmountPaid'] = round(Number(invoice['AmountPaid']) + Number(input['Amount']));
    totals(invoice);
    touch(invoice);
    const record = touch(withDates({ ...input, PaymentID: randomUUID(), Status: 'AUTHORISED', PaymentType: 'ACCRECPAYMENT', Invoice: { InvoiceID: invoice['InvoiceID'], InvoiceNumber: invoice['InvoiceNumber'] } }));
    table('Payments').set(String(record['PaymentID']), record);
    return { record, messages: [] };
  }

  function allocate(creditNoteId: string, input: Record<string, unknown>): { record?: Record<string, unknown>; messages: string[] } {
    const note = table('CreditNotes').get(creditNoteId);
    const invoice = table('Invoices').get(String((input['Invoice'] as { InvoiceID?: string } | undefined)?.InvoiceID ?? ''));
    if (!note || !invoice) return { messages: ['The credit note or the invoice could not be found'] };
    if (Number(input['Amount']) > Number(note['RemainingCredit'])) return { messages: ['The amount allocated exceeds the remaining credit'] };
    note['RemainingCredit'] = round(Number(note['RemainingCredit']) - Number(input['Amount']));
    invoice['AmountCredited'] = round(Number(invoice['AmountCredited']) + Number(input['Amount']));
    totals(invoice);
    touch(invoice);
    return { record: withDates({ ...input, AllocationID: randomUUID(), CreditNote: { CreditNoteID: creditNoteId } }), messages: [] };
  }

  function rateLimited(): { status: number; body: unknown; headers: Record<string, string> } | undefined {
    const now = Date.now();
    while (minute.length > 0 && minute[0]! <= now - emulator.minuteWindowMs) minute.shift();
    if (emulator.dayCount >= emulator.perDay) return { status: 429, body: { Title: 'Too Many Requests', Status: 429, Detail: 'Rate limit exceeded' }, headers: { 'retry-after': '43200', 'x-rate-limit-problem': 'day' } };
    if (minute.length >= emulator.perMinute) return { status: 429, body: { Title: 'Too Many Requests', Status: 429, Detail: 'Rate limit exceeded' }, headers: { 'retry-after': String(Math.max(1, Math.ceil((minute[0]! + emulator.minuteWindowMs - now) / 1000))), 'x-rate-limit-problem': 'minute' } };
    minute.push(now);
    emulator.dayCount += 1;
    return undefined;
  }

  function list(collection: string, url: URL, req: IncomingMessage): { status: number; body: unknown } {
    const since = req.headers['if-modified-since'] ? Date.parse(String(req.headers['if-modified-since'])) : undefined;
    const where = /^(\w+)=="((?:[^"\\]|\\.)*)"$/.exec(url.searchParams.get('where') ?? '');
    const page = Number(url.searchParams.get('page') ?? 1);
    const size = Math.min(Number(url.searchParams.get('pageSize') ?? 100), 1000);
    const updated = (r: Record<string, unknown>): number => Number(/\((\d+)/.exec(textOf(r['UpdatedDateUTC']))?.[1] ?? 0);
    const all = [...table(collection).values()]
      .filter((r) => since === undefined || updated(r) > since)
      .filter((r) => !where || textOf(r[where[1]!]) === where[2]!.replace(/\\(.)/g, '$1'))
      .sort((a, b) => updated(a) - updated(b));
    const items = all.slice((page - 1) * size, page * size);
    return { status: 200, body: { Id: randomUUID(), Status: 'OK', ProviderName: 'uah tests', DateTimeUTC: msDate(Date.now()), pagination: { page, pageSize: size, pageCount: Math.max(1, Math.ceil(all.length / size)), itemCount: all.length }, [collection]: items } };
  }

  async function api(req: IncomingMessage, url: URL, parts: string[], text: string): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const until = accessTokens.get(bearer);
    if (until === undefined || until <= Date.now()) return { status: 401, body: { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired or was revoked' } };
    if (req.headers['xero-tenant-id'] !== tenantId) return { status: 403, body: { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' } };
    const limited = rateLimited();
    if (limited) return limited;
    const [collection, id, sub] = parts;
    if (!collection || !ID_FIELD[collection]) return { status: 404, body: { Title: 'Not Found', Status: 404 } };
    if (req.method === 'GET' && id) {
      const record = table(collection).get(id);
      return record ? { status: 200, body: { Id: randomUUID(), Status: 'OK', [collection]: [record] } } : { status: 404, body: { Title: 'Not Found', Status: 404, Detail: `${collection} ${id} was not found` } };
    }
    if (req.method === 'GET') return list(collection, url, req);
    if (req.method !== 'POST' && req.method !== 'PUT') return { status: 405, body: { Title: 'Method Not Allowed', Status: 405 } };
    const key = req.headers['idempotency-key'];
    const cacheKey = key ? `${req.method} ${url.pathname} ${textOf(key)}` : undefined;
    const seen = cacheKey ? idempotent.get(cacheKey) : undefined;
    if (seen) return seen;
    let body: Record<string, unknown[]>;
    try {
      body = JSON.parse(text) as Record<string, unknown[]>;
    } catch {
      return { status: 400, body: { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: 'Invalid JSON' } };
    }
    const envelope = sub === 'Allocations' ? 'Allocations' : collection;
    const inputs = (body[envelope] ?? []) as Array<Record<string, unknown>>;
    const done = inputs.map((input) =>
      sub === 'Allocations' ? allocate(id ?? '', input) : collection === 'Payments' ? pay(input) : req.method === 'PUT' && input[ID_FIELD[collection]!] ? { messages: ['PUT creates: use POST to update'] } : upsert(collection, input));
    const failed = done.filter((d) => d.messages.length > 0);
    const answer = failed.length > 0
      ? validation(done.map((d, i) => ({ ...inputs[i], messages: d.messages })).filter((e) => e.messages.length > 0))
      : { status: 200, body: { Id: randomUUID(), Status: 'OK', ProviderName: 'uah tests', DateTimeUTC: msDate(Date.now()), [envelope]: done.map((d) => d.record) } };
    if (cacheKey) idempotent.set(cacheKey, answer);
    return answer;
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const back = new URL(q.get('redirect_uri') ?? '');
    back.searchParams.set('state', q.get('state') ?? '');
    const scopes = (q.get('scope') ?? '').split(' ');
    if (q.get('client_id') !== emulator.client.id || !scopes.includes('offline_access') || q.get('code_challenge_method') !== 'S256') back.searchParams.set('error', 'invalid_request');
    else {
      const code = token('code');
      codes.set(code, { redirect: q.get('redirect_uri') ?? '', challenge: q.get('code_challenge') ?? '' });
      back.searchParams.set('code', code);
      back.searchParams.set('scope', q.get('scope') ?? '');
    }
    res.writeHead(302, { location: back.href }).end();
  }

  async function tokens(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' || grant === 'refresh_token') emulator.tokenRequests[grant] += 1;
    const answer = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString() !== `${emulator.client.id}:${emulator.client.secret}`) return answer(400, { error: 'invalid_client' });
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!code || code.redirect !== form.get('redirect_uri') || createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') !== code.challenge) return answer(400, { error: 'invalid_grant' });
    } else if (grant === 'refresh_token') {
      if (!refreshTokens.delete(form.get('refresh_token') ?? '')) return answer(400, { error: 'invalid_grant' });
    } else return answer(400, { error: 'unsupported_grant_type' });
    const refresh = token('rt');
    refreshTokens.add(refresh);
    answer(200, { access_token: emulator.issueToken(), expires_in: 1800, token_type: 'Bearer', refresh_token: refresh, scope: 'offline_access accounting.transactions accounting.contacts' });
  }

  function connections(req: IncomingMessage, res: ServerResponse): void {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const until = accessTokens.get(bearer);
    if (until === undefined || until <= Date.now()) return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ Title: 'Unauthorized', Status: 401 }));
    const at = new Date().toISOString();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: randomUUID(), authEventId: randomUUID(), tenantId, tenantType: 'ORGANISATION', tenantName: 'Emulated Organisation', createdDateUtc: at, updatedDateUtc: at }]));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/identity/connect/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/connect/token') return void tokens(req, res);
    if (req.method === 'GET' && url.pathname.toLowerCase() === '/connections') return connections(req, res);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api.xro' || parts[1] !== '2.0') return void res.writeHead(404).end();
    void readBody(req).then(async (text) => {
      const answer = await api(req, url, parts.slice(2), text);
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Kept as text.
      }
      emulator.requests.push({ method: req.method ?? 'GET', path: `/${parts.slice(2).join('/')}`, headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, textOf(v)])), body, status: answer.status, answer: answer.body });
      const remaining = { 'x-minlimit-remaining': String(Math.max(0, emulator.perMinute - minute.length)), 'x-daylimit-remaining': String(Math.max(0, emulator.perDay - emulator.dayCount)), 'x-appminlimit-remaining': '9999' };
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...remaining, ...(answer.headers ?? {}) }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const emulator: XeroEmulator = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tenantId,
    client: { id: 'XEROCLIENTEMULATED0123', secret: 'xero_secret_emulated_0123456789' },
    store,
    requests: [],
    tokenRequests: { authorization_code: 0, refresh_token: 0 },
    accounts: knownAccounts,
    perMinute: 60,
    minuteWindowMs: 60_000,
    perDay: 5000,
    dayCount: 0,
    expireAccessTokens: () => accessTokens.clear(),
    issueToken() {
      const access = token('eyJhbGciOiJSUzI1NiJ9');
      accessTokens.set(access, Date.now() + 1800 * 1000);
      return access;
    },
    edit(collection, id, change) {
      const current = table(collection).get(id);
      if (!current) throw new Error(`no ${collection} ${id}`);
      const next = withDates({ ...current, ...change });
      if (collection === 'Invoices') totals(next);
      touch(next);
      table(collection).set(id, next);
      return next;
    },
    add(collection, fields) {
      const done = collection === 'Payments' ? pay(fields) : upsert(collection, fields);
      if (!done.record) throw new Error(done.messages.join('; '));
      return done.record;
    },
    all: (collection) => [...table(collection).values()],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return emulator;
}
