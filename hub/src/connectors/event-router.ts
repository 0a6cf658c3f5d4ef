import type { Logger } from 'pino';
import { AppError, type Bus, type Consumer } from '@uah/core';
import type { Event, ParkedEvent } from '@uah/schemas';
import type { Catalog } from './catalog.js';
import type { IntegrationService } from './integration-service.js';
import type { ParkedEvents } from './parked-events.js';
import type { ConnectorRuntime } from './runtime.js';

export interface EventRouterOptions {
  bus: Bus;
  catalog: Catalog;
  integrations: Pick<IntegrationService, 'binding'>;
  runtime: Pick<ConnectorRuntime, 'invoke'>;
  logger: Logger;
  /** Where events that kept failing are parked, per organization. */
  parked: Pick<ParkedEvents, 'record' | 'retry'>;
  /** Queue names are `<prefix>.<connectorId>`. @default 'uah.connector' */
  queuePrefix?: string;
  /** Events of one connector handled at once (different organizations run in different workers). @default 4 */
  concurrency?: number;
  maxAttempts?: number;
  retryDelaysMs?: number[];
}

export interface EventRouter {
  /**
   * Follows the catalog (call again after an install): subscribes every connector that handles events
   * and has no queue yet, and binds an existing queue to the event types its installed versions handle
   * now (new ones bound, ones no version needs any more unbound).
   */
  sync(): Promise<void>;
  /** Sends an organization's parked events of a connector (the ones named, else all) back through its queue. */
  retryParked(organizationId: string, connectorId: string, eventIds?: string[]): Promise<ParkedEvent[]>;
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
    let entry = options.catalog.get(connectorId, binding.version);
    if (!entry) {
      // Pinned by another process to a version installed since this one loaded its catalog: look again, or retry later.
      await options.catalog.refresh();
      entry = options.catalog.get(connectorId, binding.version);
      if (!entry) throw new Error(`${connectorId}@${binding.version} is not loaded in this process yet`);
    }
    if (!entry.manifest?.events.includes(event.type)) return;
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
      for (const [connectorId, existing] of consumers) {
        const bindings = [...(wanted.get(connectorId) ?? [])].sort().map((type) => `*.${type}`);
        await existing.setBindings(bindings);
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
          park: (event, parked) => options.parked.record(connectorId, event, parked),
        });
        consumers.set(connectorId, consumer);
        options.logger.info({ connectorId, queue: consumer.queue }, 'routing events to connector');
      }
    },
    async retryParked(organizationId, connectorId, eventIds) {
      const consumer = consumers.get(connectorId);
      if (!consumer) throw new AppError('SERVICE_UNAVAILABLE', `Events are not routed to ${connectorId} in this process; try again shortly.`);
      return options.parked.retry(organizationId, connectorId, eventIds, (events) => options.bus.redeliver(consumer.queue, events));
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
