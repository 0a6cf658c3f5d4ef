import { createHmac, timingSafeEqual } from 'node:crypto';
import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { api, type Config, type Credentials, type RemoteCustomer } from './api.js';
import { pullCustomers } from './sync.js';

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export default defineConnector<Credentials, Config>({
  manifest,
  check: async (ctx) => {
    await api(ctx).get('/account', { retries: 0 });
  },
  sync: { customer: pullCustomers },
  actions: {
    ping: async (ctx) => api(ctx).get<{ account: string }>('/account'),
  },
  onEvent: async (ctx, event) => {
    // A customer made in the books is created in the CRM once (the mapping remembers it across redeliveries).
    const customer = event.data.object as { id: string; displayName: string; email: string | null };
    if (await ctx.mappings.externalIdOf('customer', customer.id)) return;
    const remote = await api(ctx).post<RemoteCustomer>('/customers', { json: { name: customer.displayName, email: customer.email }, headers: { 'idempotency-key': event.id } });
    await ctx.mappings.link('customer', customer.id, remote.id);
  },
  verifyWebhook: async (ctx, request) => {
    const secret = ctx.credentials.webhookSecret;
    if (!secret) return false;
    const expected = createHmac('sha256', secret).update(request.rawBody).digest('hex');
    const given = request.headers['x-crm-signature'] ?? '';
    if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return false;
    return { eventId: (JSON.parse(decode(request.rawBody)) as { id: string }).id };
  },
  handleWebhook: async (ctx, request) => {
    const event = JSON.parse(decode(request.rawBody)) as { type: string; data: RemoteCustomer };
    if (event.type !== 'customer.updated') return { body: { ignored: event.type } };
    const internalId = await ctx.mappings.internalIdOf('customer', event.data.id);
    if (!internalId) return { body: { ignored: 'unknown customer' } };
    await ctx.entities.customers.update(internalId, { businessName: event.data.name });
    return { body: { updated: internalId } };
  },
});
