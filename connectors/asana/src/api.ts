import { ApiClient, ProjectsApi, TasksApi, UsersApi } from 'asana';
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
 * The `asana` SDK's API client with its transport replaced: each request the SDK builds (path with its
 * parameters, query, headers, `{ data }` body) is sent through the connector SDK's HTTP client instead of
 * superagent, so the manifest's hosts and the hub's address policy hold, 429 and `Retry-After` are
 * honoured, and the token (a personal access token, or the hub's OAuth2 token, refreshed after a 401) is
 * the client's. The SDK's fixed `https://app.asana.com/api/1.0` gives way to the client's base URL.
 */
class ConnectorSdkApiClient extends ApiClient {
  constructor(private readonly http: HttpClient) {
    super();
    this.basePath = '';
  }

  override async callApi(
    path: string, httpMethod: string, pathParams: Record<string, string>, queryParams: Record<string, unknown>, headerParams: Record<string, unknown>,
    _formParams: Record<string, unknown>, bodyParam: unknown,
  ): Promise<{ response: unknown; data: unknown }> {
    const headers = Object.fromEntries(Object.entries(this.normalizeParams(headerParams)).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const response = await this.http.request<unknown>(httpMethod.toUpperCase(), this.buildUrl(path, pathParams), {
      query: this.normalizeParams(queryParams), headers, ...(bodyParam ? { json: bodyParam } : {}),
    });
    return { data: response.status === 204 ? null : response.data, response };
  }
}

/** The parts of Asana's SDK the connector uses, for one invocation. */
export interface Asana {
  projects: ProjectsApi;
  tasks: TasksApi;
  users: UsersApi;
}

export function asana(ctx: AsanaContext): Asana {
  const pat = ctx.credentials.personalAccessToken;
  const client = new ConnectorSdkApiClient(ctx.http({ baseUrl: ctx.config.baseUrl ?? 'https://app.asana.com/api/1.0', ...(pat ? { headers: { authorization: `Bearer ${pat}` } } : {}) }));
  return { projects: new ProjectsApi(client), tasks: new TasksApi(client), users: new UsersApi(client) };
}

/** The record in what one of the SDK's calls answers (Asana's `{ data }` envelope; the SDK types it `any`). */
export async function data<T>(call: Promise<unknown>): Promise<T> {
  return ((await call) as { data: T }).data;
}

/** A page of a list call (the SDK's `Collection`): its records, and the next page by `next_page.offset`. */
interface Page<T> {
  data: T[] | null;
  nextPage?: () => Promise<Page<T>>;
}

/** Every record of one of the SDK's list calls, page after page. */
export async function* all<T>(first: Promise<unknown>): AsyncGenerator<T> {
  let page = (await first) as Page<T>;
  while (page.data) {
    yield* page.data;
    if (!page.nextPage) return;
    page = await page.nextPage();
  }
}

/** The line every record made here carries in its notes, so a retry finds what an interrupted attempt made. */
export const marker = (id: string): string => `[books:${id}]`;
