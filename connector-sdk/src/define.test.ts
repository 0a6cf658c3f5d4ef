import { describe, expect, it } from 'vitest';
import type { Event } from '@uah/schemas';
import { ConnectorDefinitionError, defineConnector, type ConnectorHandlers, type SyncJob } from './define.js';
import type { ConnectorContext } from './context.js';
import { goodManifest } from './testing/fixtures.js';
import { SDK_VERSION } from './version.js';

type Credentials = { refreshToken: string };

/** Handlers matching goodManifest(): two data types, one action, events, webhooks. */
function handlers(): ConnectorHandlers<Credentials> {
  return {
    onEvent: async () => {},
    sync: {
      invoice: async () => ({ created: 0, updated: 2, skipped: 0, failed: 0 }),
      payment: async (ctx) => ({ created: ctx.credentials.refreshToken.length, updated: 0, skipped: 0, failed: 0 }),
    },
    actions: { 'resend-invoice': async (_ctx, input) => ({ resent: input['invoiceId'] as string }) },
    verifyWebhook: (_ctx, request) => request.headers['x-acme-signature'] === 'good',
    handleWebhook: async () => ({ status: 202 }),
  };
}

function definitionError(run: () => unknown): ConnectorDefinitionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorDefinitionError);
    return error as ConnectorDefinitionError;
  }
  throw new Error('defineConnector accepted the definition');
}

describe('defineConnector', () => {
  it('returns a frozen connector with the validated manifest, its handlers and the SDK version', async () => {
    const connector = defineConnector<Credentials>({ manifest: goodManifest(), ...handlers() });
    expect(connector.manifest.id).toBe('acme-books');
    expect(connector.sdkVersion).toBe(SDK_VERSION);
    expect(Object.isFrozen(connector)).toBe(true);
    const ctx = { credentials: { refreshToken: 'abc' } } as ConnectorContext<Credentials>;
    const job: SyncJob = { dataType: 'payment', direction: 'pull', trigger: 'manual', full: true, lastSuccessAt: null };
    expect(await connector.sync?.['payment']?.(ctx, job)).toEqual({ created: 3, updated: 0, skipped: 0, failed: 0 });
    expect(await connector.actions?.['resend-invoice']?.(ctx, { invoiceId: 'inv_1' })).toEqual({ resent: 'inv_1' });
    expect(await connector.verifyWebhook?.(ctx, { headers: { 'x-acme-signature': 'bad' }, query: {}, rawBody: new Uint8Array() })).toBe(false);
  });

  it('refuses an invalid manifest with the manifest issues', () => {
    const error = definitionError(() => defineConnector({ manifest: { ...goodManifest(), sdk: '^9.0.0' }, ...handlers() }));
    expect(error.connectorId).toBe('acme-books');
    expect(error.issues).toEqual([{ path: '/sdk', message: expect.stringContaining('"^9.0.0" does not accept this SDK') as string }]);
  });

  it('refuses handlers that do not match what the manifest declares', () => {
    const { handleWebhook: _noHandler, ...h } = handlers();
    const { payment: _dropped, ...sync } = h.sync ?? {};
    const error = definitionError(() =>
      defineConnector<Credentials>({
        manifest: goodManifest(),
        ...h,
        sync: { ...sync, contact: async () => ({ created: 0, updated: 0, skipped: 0, failed: 0 }) },
        actions: { ...h.actions, void: async () => null },
      }),
    );
    expect(error.issues).toEqual([
      { path: '/dataTypes', message: 'declares "payment" but sync.payment is not a function' },
      { path: '/dataTypes', message: 'has no "contact", yet sync.contact is given' },
      { path: '/actions', message: 'has no "void", yet actions.void is given' },
      { path: '/webhooks/receives', message: 'is true: give both verifyWebhook and handleWebhook' },
    ]);
    expect(error.message).toMatch(/^connector acme-books is not valid: \/dataTypes declares "payment"/);
  });

  it('refuses onEvent and webhook handlers the manifest does not ask for, and a missing onEvent', () => {
    const quiet = { ...goodManifest(), events: [], webhooks: { receives: false } };
    expect(definitionError(() => defineConnector({ manifest: quiet, ...handlers() })).issues).toEqual([
      { path: '/events', message: 'lists no events, yet onEvent is given' },
      { path: '/webhooks/receives', message: 'is false, yet webhook handlers are given' },
    ]);
    const { onEvent: _unused, ...withoutOnEvent } = handlers();
    expect(definitionError(() => defineConnector({ manifest: goodManifest(), ...withoutOnEvent })).issues).toEqual([{ path: '/events', message: 'lists events but onEvent is not given' }]);
  });

  it('hands onEvent the event as the core publishes it', async () => {
    const seen: string[] = [];
    const connector = defineConnector({ manifest: goodManifest(), ...handlers(), onEvent: async (_ctx, event: Event) => void seen.push(`${event.type}:${event.aggregateId}`) });
    const event: Event = { id: 'evt_1', object: 'event', type: 'invoice.created', aggregateId: 'inv_1', aggregateType: 'invoice', organizationId: 'org_1', data: { object: {} }, metadata: { source: 'API' }, version: 1, timestamp: '2026-01-31T09:30:00.000Z' };
    await connector.onEvent?.({} as ConnectorContext<Credentials>, event);
    expect(seen).toEqual(['invoice.created:inv_1']);
  });
});
