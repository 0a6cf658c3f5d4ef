import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import type { Config, Credentials } from './api.js';
import { handlers } from './handlers.js';

/**
 * Xero's Accounting API over plain HTTP through the SDK's HTTP client, not xero-node: xero-node can be
 * pointed at another host (`basePath`), but it sends its requests through its own axios client, outside
 * the one that enforces the manifest's allowed hosts and the address checks, refreshes the hub's token
 * after a 401, honours Retry-After and stops when the job is cancelled; and its token handling would
 * duplicate the hub's.
 */
export default defineConnector<Credentials, Config>({ manifest, ...handlers });
