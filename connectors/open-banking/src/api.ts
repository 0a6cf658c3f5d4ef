import { HttpError, type ConnectorContext, type HttpClient } from '@uah/connector-sdk';

export interface Credentials {
  accessToken: string;
  consentExpiresAt?: string;
}
export interface Config {
  baseUrl?: string;
  historyDays?: number;
  overlapDays?: number;
  pageSize?: number;
  reconcile?: boolean;
}
export type Ctx = ConnectorContext<Credentials, Config>;

export const DEFAULT_BASE_URL = 'https://mtls.dh.example.com/cds-au/v1';

/** The endpoint versions (`x-v`) this connector reads, as the banking standard numbers them. */
export const VERSION = { accounts: '3', bulkBalances: '2', balancesOf: '1', transactions: '2' } as const;

/** An account as the API lists it (BankingAccountV3; the fields used here). */
export interface RemoteAccount {
  accountId: string;
  displayName: string;
  nickname?: string;
  maskedNumber: string;
  openStatus?: 'OPEN' | 'CLOSED';
  productCategory: string;
  productName: string;
}

/** BankingBalance: amounts are decimal strings in `currency` (AUD when absent). */
export interface RemoteBalance {
  accountId: string;
  currentBalance: string;
  availableBalance: string;
  creditLimit?: string;
  amortisedLimit?: string;
  currency?: string;
}

/** BankingTransactionV2: `postingDateTime` is set once the transaction is POSTED (booked). */
export interface RemoteTransaction {
  accountId: string;
  transactionId?: string;
  isDetailAvailable: boolean;
  type: string;
  status: 'PENDING' | 'POSTED';
  description: string;
  postingDateTime?: string;
  valueDateTime?: string;
  executionDateTime?: string;
  amount: string;
  currency?: string;
  reference: string;
  merchantName?: string;
  billerName?: string;
  crn?: string;
}

/** The list envelope: `{ data: { <items>: [...] }, links: { self, next? … }, meta: { totalRecords, totalPages } }`. */
export interface RemotePage<K extends string, T> {
  data: Record<K, T[]>;
  links: { self: string; next?: string };
  meta: { totalRecords: number; totalPages: number };
}

export function api(ctx: Ctx): HttpClient {
  return ctx.http({
    baseUrl: ctx.config.baseUrl ?? DEFAULT_BASE_URL,
    headers: { authorization: `Bearer ${ctx.credentials.accessToken}`, accept: 'application/json' },
  });
}

/** Every item of a paginated list, following `links.next` until the last page. */
export async function* listAll<K extends string, T>(client: HttpClient, path: string, key: K, version: string, query: Record<string, string | number | undefined> = {}): AsyncGenerator<T> {
  yield* client.paginate<T, RemotePage<K, T>>(path, {
    query,
    headers: { 'x-v': version },
    items: (page) => page.data[key] ?? [],
    strategy: { type: 'link', nextUrl: (page) => page.links.next ?? null },
  });
}

/** The `{ errors: [{ code, title, detail }] }` of an error answer, when it has one. */
export function providerErrors(error: unknown): Array<{ code: string; title: string; detail: string }> {
  if (!(error instanceof HttpError) || typeof error.body !== 'object' || error.body === null) return [];
  const errors = (error.body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((e): e is { code: string; title: string; detail: string } => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string') : [];
}

/**
 * Whether the provider refused the customer's consent: 401 (the token of the consent is no longer
 * accepted), or 403 with an `InvalidConsent` / `RevokedConsent` error code.
 */
export function isConsentRefusal(error: unknown): boolean {
  if (!(error instanceof HttpError)) return false;
  if (error.status === 401) return true;
  return error.status === 403 && providerErrors(error).some((e) => /\/(InvalidConsent|RevokedConsent)$/.test(e.code));
}
