import { defineConnector } from '@uah/connector-sdk';
import manifest from '../connector.json' with { type: 'json' };
import type { Config, Credentials } from '../src/api.js';
import { handlers } from '../src/handlers.js';

/**
 * The connector with its manifest pointed at an emulator on 127.0.0.1 (the OAuth endpoints too): the
 * shipped manifest names Intuit's hosts only.
 */
export function testManifest(emulatorUrl: string): typeof manifest {
  return {
    ...manifest,
    auth: { ...manifest.auth, oauth2: { ...manifest.auth.oauth2, authorizationUrl: `${emulatorUrl}/connect/oauth2`, tokenUrl: `${emulatorUrl}/oauth2/v1/tokens/bearer` } },
    allowedHosts: [...manifest.allowedHosts, '127.0.0.1'],
  };
}

export const testConnector = (emulatorUrl: string) => defineConnector<Credentials, Config>({ manifest: testManifest(emulatorUrl), ...handlers });
