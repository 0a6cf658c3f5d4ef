import type { ConnectorContext, HttpClient } from '@uah/connector-sdk';

export interface Credentials {
  personalAccessToken?: string;
  clientId?: string;
  clientSecret?: string;
}
export interface Config {
  workspace: string;
  team: string;
  baseUrl?: string;
}
export type AsanaContext = ConnectorContext<Credentials, Config>;

/** Asana's records as the connector reads them. */
export interface AsanaProject {
  gid: string;
  name: string;
  notes?: string;
  archived?: boolean;
}
export interface AsanaTask {
  gid: string;
  name: string;
  notes?: string;
  completed?: boolean;
  completed_at?: string | null;
}

/**
 * Asana's API over the hub's HTTP client: `{ data }` envelopes unwrapped; a personal access token when
 * one is given, else the hub's OAuth2 access token (the client adds it).
 */
export interface AsanaApi {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, data: Record<string, unknown>): Promise<T>;
  put<T>(path: string, data: Record<string, unknown>): Promise<T>;
  /** Every record of a list, following `next_page.offset`. */
  all<T>(path: string, query?: Record<string, string | number | undefined>): AsyncGenerator<T>;
}

export function asana(ctx: AsanaContext): AsanaApi {
  const pat = ctx.credentials.personalAccessToken;
  const http: HttpClient = ctx.http({ baseUrl: ctx.config.baseUrl ?? 'https://app.asana.com/api/1.0', ...(pat ? { headers: { authorization: `Bearer ${pat}` } } : {}) });
  const get = async <T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> => (await http.get<{ data: T }>(path, { query })).data;
  return {
    get,
    post: async <T>(path: string, data: Record<string, unknown>) => (await http.post<{ data: T }>(path, { json: { data } })).data,
    put: async <T>(path: string, data: Record<string, unknown>) => (await http.put<{ data: T }>(path, { json: { data } })).data,
    async *all<T>(path: string, query: Record<string, string | number | undefined> = {}) {
      let offset: string | undefined;
      do {
        const page = await http.get<{ data: T[]; next_page?: { offset: string } | null }>(path, { query: { ...query, limit: 100, offset } });
        yield* page.data;
        offset = page.next_page?.offset;
      } while (offset);
    },
  };
}

/** The line every record made here carries in its notes, so a retry finds what an interrupted attempt made. */
export const marker = (id: string): string => `[books:${id}]`;
