import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RemoteAccount, RemoteBalance, RemoteTransaction } from '../src/api.js';
import { problemsOf } from './cds-schemas.js';

/**
 * A local data holder speaking the CDR Banking API as cds_banking.json describes it: the same paths under
 * `/cds-au/v1`, `x-v` version negotiation, `{ data, links, meta }` envelopes with `page`/`page-size`
 * pagination and fully qualified `links.next`, and `{ errors: [{ code, title, detail }] }` error bodies
 * with the standard's error code URNs. Failure modes: answers queued with `fail` (429 with Retry-After,
 * 500, …) and an expired consent (403 `Authorisation/InvalidConsent`, from the standard's error catalogue).
 */
export interface BankEmulator {
  url: string;
  accounts: Array<{ account: RemoteAccount; balance: RemoteBalance; transactions: RemoteTransaction[] }>;
  /** Every request: method, path with query, its x-v header and body. */
  received: Array<{ method: string; url: string; xv: string | undefined; body: unknown }>;
  /** Every answer, with the described path it answered, to check against the description. */
  answered: Array<{ method: string; path: string; status: number; body: unknown; headers: Record<string, string> }>;
  /** The next `times` requests get `status` (with `Retry-After: retryAfter` seconds when given). */
  fail(status: number, options?: { times?: number; retryAfter?: number }): void;
  expireConsent(): void;
  addAccount(accountId: string, options?: { currency?: string; current?: string; displayName?: string; openStatus?: 'OPEN' | 'CLOSED' }): void;
  addTransaction(accountId: string, t: Partial<RemoteTransaction> & { amount: string; description: string }): RemoteTransaction;
  close(): Promise<void>;
}

const BASE = '/cds-au/v1';
const MAX_PAGE_SIZE = 1000;
/** The one version of each endpoint this data holder serves. */
const VERSIONS: Array<{ method: string; pattern: RegExp; path: string; version: number }> = [
  { method: 'GET', pattern: /^\/banking\/accounts$/, path: '/banking/accounts', version: 3 },
  { method: 'GET', pattern: /^\/banking\/accounts\/balances$/, path: '/banking/accounts/balances', version: 2 },
  { method: 'POST', pattern: /^\/banking\/accounts\/balances$/, path: '/banking/accounts/balances', version: 1 },
  { method: 'GET', pattern: /^\/banking\/accounts\/([^/]+)\/balance$/, path: '/banking/accounts/{accountId}/balance', version: 1 },
  { method: 'GET', pattern: /^\/banking\/accounts\/([^/]+)\/transactions$/, path: '/banking/accounts/{accountId}/transactions', version: 2 },
];

const URN = 'urn:au-cds:error:cds-all:';
const error = (code: string, title: string, detail: string): { errors: Array<{ code: string; title: string; detail: string }> } => ({ errors: [{ code: `${URN}${code}`, title, detail }] });

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** The effective time the history filters on: posting time once posted, else when it was executed. */
const effective = (t: RemoteTransaction): number => Date.parse(t.postingDateTime ?? t.executionDateTime ?? t.valueDateTime ?? '');

export async function startBankEmulator(token: string): Promise<BankEmulator> {
  const accounts: BankEmulator['accounts'] = [];
  const received: BankEmulator['received'] = [];
  const answered: BankEmulator['answered'] = [];
  const failures: Array<{ status: number; retryAfter?: number }> = [];
  let consentExpired = false;
  let seq = 0;
  let origin = '';

  function paged<T>(url: URL, items: T[], key: string): { status: number; body: unknown } {
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page-size') ?? '25');
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) return { status: 400, body: error('Field/InvalidPageSize', 'Invalid Page Size', `page-size must be 1 to ${MAX_PAGE_SIZE}`) };
    const totalPages = Math.ceil(items.length / size);
    if (!Number.isInteger(page) || page < 1 || (page > totalPages && totalPages > 0)) return { status: 422, body: error('Field/InvalidPage', 'Invalid Page', `page ${url.searchParams.get('page')} is out of range (${totalPages} pages)`) };
    const link = (n: number): string => {
      const u = new URL(url.href, origin);
      u.searchParams.set('page', String(n));
      u.searchParams.set('page-size', String(size));
      return `${origin}${u.pathname}${u.search}`;
    };
    const links: Record<string, string> = { self: `${origin}${url.pathname}${url.search}` };
    if (page > 1) Object.assign(links, { first: link(1), prev: link(page - 1) });
    if (page < totalPages) Object.assign(links, { next: link(page + 1), last: link(totalPages) });
    return { status: 200, body: { data: { [key]: items.slice((page - 1) * size, page * size) }, links, meta: { totalRecords: items.length, totalPages } } };
  }

  function find(accountId: string): BankEmulator['accounts'][number] | undefined {
    return accounts.find((a) => a.account.accountId === decodeURIComponent(accountId));
  }

  async function route(req: IncomingMessage, url: URL, match: RegExpExecArray, path: string): Promise<{ status: number; body: unknown }> {
    const unavailable = (id: string, status: number): { status: number; body: unknown } => ({ status, body: error('Authorisation/UnavailableBankingAccount', 'Unavailable Banking Account', `Account ${id} is not available under this consent.`) });
    switch (path) {
      case '/banking/accounts': {
        const open = url.searchParams.get('open-status') ?? 'ALL';
        return paged(url, accounts.map((a) => a.account).filter((a) => open === 'ALL' || (a.openStatus ?? 'OPEN') === open), 'accounts');
      }
      case '/banking/accounts/balances': {
        if (req.method === 'GET') return paged(url, accounts.map((a) => a.balance), 'balances');
        const body = await bodyOf(req);
        const problems = problemsOf('RequestAccountIdListV1', body);
        if (problems.length > 0) return { status: 400, body: error('Field/Invalid', 'Invalid Field', problems.join('; ')) };
        const ids = (body as { data: { accountIds: string[] } }).data.accountIds;
        const missing = ids.find((id) => !find(id));
        if (missing) return unavailable(missing, 422);
        return paged(url, ids.map((id) => find(id)!.balance), 'balances');
      }
      case '/banking/accounts/{accountId}/balance': {
        const a = find(match[1] ?? '');
        return a ? { status: 200, body: { data: a.balance, links: { self: `${origin}${url.pathname}` }, meta: {} } } : unavailable(match[1] ?? '', 404);
      }
      default: {
        const a = find(match[1] ?? '');
        if (!a) return unavailable(match[1] ?? '', 404);
        const newest = url.searchParams.get('newest-time') ? Date.parse(url.searchParams.get('newest-time') ?? '') : Date.now();
        const oldest = url.searchParams.get('oldest-time') ? Date.parse(url.searchParams.get('oldest-time') ?? '') : newest - 90 * 86_400_000;
        if (Number.isNaN(newest) || Number.isNaN(oldest)) return { status: 400, body: error('Field/Invalid', 'Invalid Field', 'oldest-time and newest-time must be DateTimeStrings') };
        const inWindow = a.transactions.filter((t) => effective(t) >= oldest && effective(t) <= newest).sort((x, y) => effective(y) - effective(x));
        return paged(url, inWindow, 'transactions');
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const xv = req.headers['x-v'] as string | undefined;
    const interaction = (req.headers['x-fapi-interaction-id'] as string | undefined) ?? randomUUID();
    const entry = { method: req.method ?? 'GET', url: `${url.pathname}${url.search}`, xv, body: undefined as unknown };
    received.push(entry);
    const rel = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : '';
    const endpoint = VERSIONS.find((v) => v.method === req.method && v.pattern.test(rel));
    const send = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      const headers = { 'content-type': 'application/json', 'x-fapi-interaction-id': interaction, ...(endpoint && status === 200 ? { 'x-v': String(endpoint.version) } : {}), ...extra };
      answered.push({ method: req.method ?? 'GET', path: endpoint?.path ?? rel, status, body, headers });
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    if (!endpoint) return send(404, error('Resource/NotFound', 'Resource Not Found', `No resource at ${url.pathname}.`));
    const failure = failures.shift();
    if (failure) {
      if (failure.status === 429) return send(429, error('GeneralError/Expected', 'Too Many Requests', 'The request rate for this consent is exceeded.'), failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
      return send(failure.status, error('GeneralError/Unexpected', 'Unexpected Error Encountered', 'The data holder failed to answer.'));
    }
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, error('Authorisation/InvalidConsent', 'Consent Is Invalid', 'The access token is not valid.'));
    if (consentExpired) return send(403, error('Authorisation/InvalidConsent', 'Consent Is Invalid', "The customer's consent has expired."));
    if (!xv) return send(400, error('Header/Missing', 'Missing Required Header', 'x-v is required.'));
    const max = Number(xv);
    const min = Number((req.headers['x-min-v'] as string | undefined) ?? xv);
    if (!Number.isInteger(max) || max < 1) return send(400, error('Header/InvalidVersion', 'Invalid Version', `x-v "${xv}" is not a positive integer.`));
    if (endpoint.version > max || endpoint.version < min) return send(406, error('Header/UnsupportedVersion', 'Unsupported Version', `This endpoint serves version ${endpoint.version} only.`));
    const { status, body } = await route(req, url, endpoint.pattern.exec(rel)!, endpoint.path);
    send(status, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(error('GeneralError/Unexpected', 'Unexpected Error Encountered', String(e)))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}${BASE}`,
    accounts, received, answered,
    fail(status, options = {}) {
      for (let i = 0; i < (options.times ?? 1); i++) failures.push({ status, ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}) });
    },
    expireConsent() {
      consentExpired = true;
    },
    addAccount(accountId, options = {}) {
      const currency = options.currency ?? 'AUD';
      accounts.push({
        account: { accountId, displayName: options.displayName ?? `Business transaction account ${accounts.length + 1}`, maskedNumber: `xxx-xxx xxxxx${String(accounts.length + 1).padStart(3, '0')}`, openStatus: options.openStatus ?? 'OPEN', productCategory: 'TRANS_AND_SAVINGS_ACCOUNTS', productName: 'Business Everyday', accountOwnership: 'ONE_PARTY' } as RemoteAccount,
        balance: { accountId, currentBalance: options.current ?? '0.00', availableBalance: options.current ?? '0.00', currency },
        transactions: [],
      });
    },
    addTransaction(accountId, t) {
      const a = find(accountId);
      if (!a) throw new Error(`no account ${accountId}`);
      seq += 1;
      const status = t.status ?? 'POSTED';
      const at = new Date(Date.now() - 60_000 * seq).toISOString();
      const transaction: RemoteTransaction = {
        accountId, transactionId: `txn-${accountId}-${seq}`, isDetailAvailable: false, type: Number(t.amount) >= 0 ? 'TRANSFER_INCOMING' : 'PAYMENT', status, reference: '',
        executionDateTime: at, ...(status === 'POSTED' ? { postingDateTime: at, valueDateTime: at } : {}), currency: a.balance.currency ?? 'AUD', ...t,
      };
      a.transactions.push(transaction);
      return transaction;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
