import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import type { Config, Credentials } from './api.js';
import { handlers } from './handlers.js';

/**
 * Xero's Accounting API through the official xero-node SDK, its requests sent by the connector SDK's
 * HTTP client (see `xero` in api.ts): allowed hosts, address checks, Retry-After, the hub's token and its
 * refresh after a 401 hold as for every connector.
 */
export default defineConnector<Credentials, Config>({ manifest, ...handlers });
