/**
 * A complete, valid manifest (oauth2, two data types, an action, events and webhooks), fresh on each
 * call so that a test can break one thing in its copy.
 *
 * @example
 * ```ts
 * const manifest = goodManifest();
 * manifest.dataTypes.push({ type: 'invoice', direction: 'pull', defaultFrequencyMinutes: 5 });
 * ```
 */
export function goodManifest(): Record<string, unknown> & { auth: Record<string, unknown>; dataTypes: Array<Record<string, unknown>>; actions: Array<Record<string, unknown>> } {
  return {
    id: 'acme-books',
    name: 'Acme Books',
    version: '1.4.0-beta.2',
    sdk: '^0.1.0',
    category: 'accounting',
    description: 'Pushes invoices to Acme Books and pulls their payments.',
    auth: { type: 'oauth2', oauth2: { authorizationUrl: 'https://acme.test/oauth/authorize', tokenUrl: 'https://acme.test/oauth/token', scopes: ['accounting'] } },
    credentialsSchema: { type: 'object', properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' } }, required: ['clientId', 'clientSecret'] },
    configSchema: { type: 'object', properties: { realmId: { type: 'string' } } },
    events: ['invoice.created', 'customer.updated'],
    dataTypes: [
      { type: 'invoice', direction: 'push', defaultFrequencyMinutes: 60 },
      { type: 'payment', direction: 'pull', defaultFrequencyMinutes: 15 },
    ],
    actions: [{ name: 'resend-invoice', description: 'Email the invoice again from Acme.', inputSchema: { type: 'object', properties: { invoiceId: { type: 'string' } }, required: ['invoiceId'] } }],
    webhooks: { receives: true },
    allowedHosts: ['acme.test'],
  };
}
