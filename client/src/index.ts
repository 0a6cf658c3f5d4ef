export { createClient, type ClientOptions, type EventListOptions, type Page, type PagedIterable, type UahClient } from './client.js';
export { UahApiError, UahConnectionError, type FieldError } from './errors.js';
export type { RequestOptions } from './transport.js';
export type { EventSubscribeOptions, EventSubscription, WebSocketConstructor, WebSocketLike } from './subscribe.js';
