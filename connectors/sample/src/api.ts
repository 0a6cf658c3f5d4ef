import type { ConnectorContext, HttpClient } from '@uah/connector-sdk';

export interface Credentials {
  apiKey: string;
  webhookSecret?: string;
}
export interface Config {
  baseUrl?: string;
}

/** A customer as the CRM returns it. */
export interface RemoteCustomer {
  id: string;
  name: string;
  email: string | null;
  updated_at: string;
}

export interface RemotePage {
  data: RemoteCustomer[];
  next_cursor: string | null;
}

export function api(ctx: ConnectorContext<Credentials, Config>): HttpClient {
  return ctx.http({ baseUrl: ctx.config.baseUrl ?? 'https://api.sample-crm.test/v1', headers: { authorization: `Bearer ${ctx.credentials.apiKey}` } });
}
