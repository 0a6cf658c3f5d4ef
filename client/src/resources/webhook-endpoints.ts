import type {
  WebhookDelivery, WebhookDeliveryListQuery, WebhookEnable, WebhookEnableResult, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointCreated,
  WebhookEndpointListQuery, WebhookEndpointUpdate, WebhookReplay, WebhookReplayResult, WebhookTestResult,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/** Where the organization's events are POSTed, signed; check them on arrival with `verifyWebhook`. */
export interface WebhooksResource {
  /** Registers an endpoint; the answer holds its signing secret (`whsec_…`) in `secret`, shown only this once. */
  create(body: WebhookEndpointCreate, options?: RequestOptions): Promise<WebhookEndpointCreated>;
  get(id: string, options?: RequestOptions): Promise<WebhookEndpoint>;
  list(query?: WebhookEndpointListQuery, options?: RequestOptions): Promise<Page<WebhookEndpoint>>;
  iterate(query?: Omit<WebhookEndpointListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<WebhookEndpoint>;
  /** Fields left out keep their value; `active: false` disables the endpoint. */
  update(id: string, body: WebhookEndpointUpdate, options?: RequestOptions): Promise<WebhookEndpoint>;
  /** Deletes the endpoint and its delivery log. */
  delete(id: string, options?: RequestOptions): Promise<void>;
  /** Sends a signed `webhook.test` ping now and answers what the endpoint replied (not retried, not logged). */
  test(id: string, options?: RequestOptions): Promise<WebhookTestResult>;
  /** A new secret, shown only this once; the old one keeps signing alongside it for 24 hours. */
  rotateSecret(id: string, options?: RequestOptions): Promise<WebhookEndpointCreated>;
  /** Enables a disabled endpoint; `{ redeliverMissed: true }` sends what it missed. */
  enable(id: string, body?: WebhookEnable, options?: RequestOptions): Promise<WebhookEnableResult>;
  /** Sends past events again: after an event id (`{ after }`) or within `{ from, to }`. */
  replay(id: string, body: WebhookReplay, options?: RequestOptions): Promise<WebhookReplayResult>;
  /** One endpoint's deliveries with every attempt, oldest first. */
  deliveries(id: string, query?: WebhookDeliveryListQuery, options?: RequestOptions): Promise<Page<WebhookDelivery>>;
  iterateDeliveries(id: string, query?: Omit<WebhookDeliveryListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<WebhookDelivery>;
  getDelivery(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery>;
  /** The delivery goes back to PENDING with the same id (receivers dedupe by `webhook-id`). */
  redeliver(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery>;
}

export function createWebhooksResource(c: ResourceContext): WebhooksResource {
  const base = (): string => `${c.org()}/webhooks`;
  const one = (id: string): string => `${base()}/${c.id(id)}`;
  const delivery = (id: string, deliveryId: string): string => `${one(id)}/deliveries/${c.id(deliveryId)}`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(one(id), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (id, body, o) => c.patch(one(id), body, o),
    delete: (id, o) => c.delete(one(id), o),
    test: (id, o) => c.post(`${one(id)}/test`, undefined, o),
    rotateSecret: (id, o) => c.post(`${one(id)}/rotate-secret`, undefined, o),
    enable: (id, body, o) => c.post(`${one(id)}/enable`, body ?? {}, o),
    replay: (id, body, o) => c.post(`${one(id)}/replay`, body, o),
    deliveries: (id, query, o) => c.get(`${one(id)}/deliveries`, query, o),
    iterateDeliveries: (id, query, o) => c.iterate(`${one(id)}/deliveries`, query, o),
    getDelivery: (id, deliveryId, o) => c.get(delivery(id, deliveryId), undefined, o),
    redeliver: (id, deliveryId, o) => c.post(`${delivery(id, deliveryId)}/redeliver`, undefined, o),
  };
}
