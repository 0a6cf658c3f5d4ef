import { defineConnector } from '@uah/connector-sdk';
import manifest from '../connector.json' with { type: 'json' };
import type { Config, Credentials } from '../src/api.js';
import { handlers } from '../src/handlers.js';

/** The manifest pointed at an emulator on 127.0.0.1 (identity endpoints too): the shipped one names Xero's hosts only. */
export function testManifest(emulatorUrl: string): typeof manifest {
  return {
    ...manifest,
    auth: { ...manifest.auth, oauth2: { ...manifest.auth.oauth2, authorizationUrl: `${emulatorUrl}/identity/connect/authorize`, tokenUrl: `${emulatorUrl}/connect/token` } },
    allowedHosts: [...manifest.allowedHosts, '127.0.0.1'],
  };
}

export const testConnector = (emulatorUrl: string) => defineConnector<Credentials, Config>({ manifest: testManifest(emulatorUrl), ...handlers });
