import { defineRoute, type Route } from '../http/route.js';
import type { DeliveryStore } from './delivery-store.js';
import type { WebhookEndpointService } from './endpoint-service.js';

const org = '/v1/organizations/:orgId';
const endpoint = `${org}/webhooks/:webhookId`;
const id = (params: Record<string, string>): string => params['webhookId'] ?? '';
const deliveryId = (params: Record<string, string>): string => params['deliveryId'] ?? '';

const SIGNING = 'Each delivery is a POST of the event JSON signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the base64-decoded part of the secret after `whsec_`), plus `X-Webhook-Signature-256: sha256=<hex HMAC of the body>`, `X-Webhook-Event`, `X-Webhook-Delivery` and `X-Webhook-Timestamp`. Any 2xx is success.';

export function createWebhookRoutes(deps: { endpoints: WebhookEndpointService; deliveries: DeliveryStore }): Route[] {
  const { endpoints, deliveries } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/webhooks`, operationId: 'createWebhookEndpoint', tag: 'Webhooks', summary: 'Register a webhook endpoint',
      description: `The URL must be https on a public address (checked now and again at each delivery against the resolved address; redirects are not followed). The response holds the signing secret, shown only this once. ${SIGNING}`,
      body: 'WebhookEndpointCreate', response: { status: 201, schema: 'WebhookEndpointCreated' }, errors: [422],
      handler: ({ organizationId, body }) => endpoints.create(organizationId, body),
    }),
    defineRoute({
      method: 'GET', path: `${org}/webhooks`, operationId: 'listWebhookEndpoints', tag: 'Webhooks', summary: 'List webhook endpoints',
      query: 'WebhookEndpointListQuery', response: { status: 200, list: 'WebhookEndpoint' },
      handler: ({ organizationId, query }) => endpoints.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: endpoint, operationId: 'getWebhookEndpoint', tag: 'Webhooks', summary: 'Get a webhook endpoint',
      response: { status: 200, schema: 'WebhookEndpoint' },
      handler: ({ organizationId, params }) => endpoints.get(organizationId, id(params)),
    }),
    defineRoute({
      method: 'PATCH', path: endpoint, operationId: 'updateWebhookEndpoint', tag: 'Webhooks', summary: 'Change a webhook endpoint',
      body: 'WebhookEndpointUpdate', response: { status: 200, schema: 'WebhookEndpoint' }, errors: [422],
      handler: ({ organizationId, params, body }) => endpoints.update(organizationId, id(params), body),
    }),
    defineRoute({
      method: 'DELETE', path: endpoint, operationId: 'deleteWebhookEndpoint', tag: 'Webhooks', summary: 'Delete a webhook endpoint',
      description: 'The endpoint and its delivery log are deleted; nothing more is sent to it.',
      response: { status: 204, description: 'Deleted.' },
      handler: async ({ organizationId, params }) => {
        await endpoints.remove(organizationId, id(params));
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST', path: `${endpoint}/rotate-secret`, operationId: 'rotateWebhookSecret', tag: 'Webhooks', summary: 'Rotate the signing secret',
      description: 'A new secret is returned (only this once). For 24 hours deliveries carry a signature with the old secret too, so receivers can switch without missing one.',
      response: { status: 200, schema: 'WebhookEndpointCreated' },
      handler: ({ organizationId, params }) => endpoints.rotateSecret(organizationId, id(params)),
    }),
    defineRoute({
      method: 'POST', path: `${endpoint}/enable`, operationId: 'enableWebhookEndpoint', tag: 'Webhooks', summary: 'Enable a disabled endpoint',
      description: 'Clears the failure streak. `missed` counts the events it missed since it began failing (or was disabled); with `redeliverMissed: true` they are delivered again.',
      body: 'WebhookEnable', response: { status: 200, schema: 'WebhookEnableResult' },
      handler: ({ organizationId, params, body }) => endpoints.enable(organizationId, id(params), body),
    }),
    defineRoute({
      method: 'POST', path: `${endpoint}/test`, operationId: 'testWebhookEndpoint', tag: 'Webhooks', summary: 'Send a signed test ping',
      description: 'POSTs a signed `webhook.test` event now (not retried, not logged as a delivery) and returns what the endpoint answered and how long it took.',
      response: { status: 200, schema: 'WebhookTestResult' },
      handler: ({ organizationId, params }) => endpoints.test(organizationId, id(params)),
    }),
    defineRoute({
      method: 'GET', path: `${endpoint}/deliveries`, operationId: 'listWebhookDeliveries', tag: 'Webhooks', summary: 'List deliveries with their attempts',
      query: 'WebhookDeliveryListQuery', response: { status: 200, list: 'WebhookDelivery' },
      handler: ({ organizationId, params, query }) => deliveries.list(organizationId, id(params), query),
    }),
    defineRoute({
      method: 'GET', path: `${endpoint}/deliveries/:deliveryId`, operationId: 'getWebhookDelivery', tag: 'Webhooks', summary: 'Get a delivery with every attempt',
      response: { status: 200, schema: 'WebhookDelivery' },
      handler: ({ organizationId, params }) => deliveries.get(organizationId, id(params), deliveryId(params)),
    }),
    defineRoute({
      method: 'POST', path: `${endpoint}/deliveries/:deliveryId/redeliver`, operationId: 'redeliverWebhook', tag: 'Webhooks', summary: 'Deliver again',
      description: 'The delivery goes back to PENDING with the same id (receivers dedupe by `webhook-id`) and a fresh round of retries.',
      response: { status: 202, schema: 'WebhookDelivery' },
      handler: ({ organizationId, params }) => deliveries.redeliver(organizationId, id(params), deliveryId(params)),
    }),
    defineRoute({
      method: 'POST', path: `${endpoint}/replay`, operationId: 'replayWebhookEvents', tag: 'Webhooks', summary: 'Send past events again',
      description: 'Schedules the past events that match the endpoint\'s filter, after an event or within a time range, at most 10,000 per call.',
      body: 'WebhookReplay', response: { status: 202, schema: 'WebhookReplayResult' },
      handler: ({ organizationId, params, body }) => endpoints.replay(organizationId, id(params), body),
    }),
  ];
}
