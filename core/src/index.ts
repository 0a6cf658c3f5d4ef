export { createCore, DEFAULT_RATE_LIMIT, type Core, type CoreOptions, type CoreServices } from './core.js';
export { createDatabase, type Database, type DatabaseOptions } from './db/database.js';
export type { Bus, Consumer, ConsumerOptions, Delivery, QueueDepth } from './events/bus.js';
export { EVENTS_EXCHANGE, routingKeyOf } from './events/bus.js';
export type { Route, Actor } from './http/route.js';
export { defineRoute } from './http/route.js';
export { AppError } from './http/errors.js';
export type { AdminTokenVerifier } from './auth/authenticate.js';
export { sha256, matchesHash, randomToken } from './auth/secrets.js';
