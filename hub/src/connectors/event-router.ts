import type { Logger } from 'pino';
import type { Bus, Consumer } from '@uah/core';
import type { Event } from '@uah/schemas';
import type { Catalog } from './catalog.js';
import type { IntegrationService } from './integration-service.js';
import type { ConnectorRuntime } from './runtime.js';

export interface EventRouterOptions {
  bus: Bus;
  catalog: Catalog;
  integrations: Pick<IntegrationService, 'binding'>;
  runtime: Pick<ConnectorRuntime, 'invoke'>;
  logger: Logger;
  /** Queue names are `<prefix>.<connectorId>`. @default 'uah.connector' */
  queuePrefix?: string;
  /** Events of one connector handled at once (different organizations run in different workers). @default 4 */
  concurrency?: number;
  maxAttempts?: number;
  retryDelaysMs?: number[];
}

export interface EventRouter {
  /** Subscribes every connector that handles events and has no queue yet (call again after an install). */
  sync(): Promise<void>;
  readonly queues: string[];
  close(): Promise<void>;
}

/**
 * Domain events to connectors: one durable queue per connector, bound to the event types its manifests
 * list, so one slow connector never holds up another. An event goes only to an active integration of
 * its own organization, and never back to the connector whose change caused it. A handler that fails
 * is retried through the bus's delay queues, then parked.
 */
export function createEventRouter(options: EventRouterOptions): EventRouter {
  const prefix = options.queuePrefix ?? 'uah.connector';
  const consumers = new Map<string, Consumer>();

  async function deliver(connectorId: string, event: Event): Promise<void> {
    if (event.metadata.userId === `connector:${connectorId}`) return;
    let binding: Awaited<ReturnType<IntegrationService['binding']>>;
    try {
      binding = await options.integrations.binding(event.organizationId, connectorId);
    } catch {
      return; // Not enabled (or disabled) for this organization: the event is not its business.
    }
    const manifest = options.catalog.get(connectorId, binding.version)?.manifest;
    if (!manifest?.events.includes(event.type)) return;
    await options.runtime.invoke({ connectorId, version: binding.version, organizationId: event.organizationId, credentials: binding.credentials, config: binding.config, cause: { source: 'IMPORT', causationId: event.id }, kind: 'onEvent', args: [event] });
  }

  return {
    async sync() {
      const wanted = new Map<string, Set<string>>();
      for (const entry of options.catalog.list()) {
        if (!entry.available || !entry.manifest || entry.manifest.events.length === 0) continue;
        const types = wanted.get(entry.id) ?? new Set<string>();
        for (const type of entry.manifest.events) types.add(type);
        wanted.set(entry.id, types);
      }
      for (const [connectorId, types] of wanted) {
        if (consumers.has(connectorId)) continue;
        const consumer = await options.bus.consume({
          queue: `${prefix}.${connectorId}`,
          bindings: [...types].sort().map((type) => `*.${type}`),
          concurrency: options.concurrency ?? 4,
          ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
          ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
          handler: (event) => deliver(connectorId, event),
        });
        consumers.set(connectorId, consumer);
        options.logger.info({ connectorId, queue: consumer.queue }, 'routing events to connector');
      }
    },
    get queues() {
      return [...consumers.values()].map((c) => c.queue);
    },
    async close() {
      const all = [...consumers.values()];
      consumers.clear();
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
