import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import type { Config, Credentials } from './api.js';
import { handlers } from './handlers.js';

/**
 * QuickBooks Online over its v3 REST API, through the SDK's HTTP client (OAuth2 token, refresh after a
 * 401, 429 and 5xx retries, allowed hosts), not node-quickbooks: that library sets its endpoint and token
 * URLs process-wide and sends requests itself, outside the client that enforces all of that.
 */
export default defineConnector<Credentials, Config>({ manifest, ...handlers });
