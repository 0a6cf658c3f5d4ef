import type { ConnectorPermission } from '@uah/schemas';
import { ENTITY_METHODS, PERMISSION_PREFIX, type ConnectorEntities, type EntityKind } from './entities.js';

/**
 * Why a call to the books was refused: `PERMISSION_DENIED` (the manifest does not declare it),
 * `UNKNOWN_METHOD`, or the core's own error code (`VALIDATION_FAILED`, `NOT_FOUND`,
 * `INVALID_STATE_TRANSITION`, …) with its HTTP status and the failing fields.
 *
 * @example
 * ```ts
 * try {
 *   await ctx.entities.invoices.issue(id);
 * } catch (error) {
 *   if (error instanceof ConnectorEntityError && error.code === 'INVALID_STATE_TRANSITION') return; // already issued
 *   throw error;
 * }
 * ```
 */
export class ConnectorEntityError extends Error {
  override readonly name = 'ConnectorEntityError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly errors: Array<{ field?: string; message: string }> = [],
  ) {
    super(message);
  }
}

/**
 * The permission a call needs: `<prefix>:read` or `<prefix>:write`; `undefined` for a method that
 * does not exist (which no permission allows).
 *
 * @example
 * ```ts
 * requiredPermission('payments', 'refund'); // 'payments:write'
 * requiredPermission('journalEntries', 'list'); // 'journal_entries:read'
 * ```
 */
export function requiredPermission(kind: string, method: string): ConnectorPermission | undefined {
  if (!Object.hasOwn(ENTITY_METHODS, kind)) return undefined;
  const methods = ENTITY_METHODS[kind as EntityKind] as Record<string, 'read' | 'write'>;
  if (!Object.hasOwn(methods, method)) return undefined;
  return `${PERMISSION_PREFIX[kind as EntityKind]}:${methods[method]}` as ConnectorPermission;
}

/**
 * Whether `granted` allows the call. `write` includes `read` of the same kind.
 *
 * @example
 * ```ts
 * allows(['customers:write'], 'customers', 'get'); // true
 * allows(['customers:read'], 'customers', 'create'); // false
 * ```
 */
export function allows(granted: readonly string[], kind: string, method: string): boolean {
  const needed = requiredPermission(kind, method);
  if (!needed) return false;
  if (granted.includes(needed)) return true;
  return needed.endsWith(':read') && granted.includes(needed.replace(/:read$/, ':write'));
}

/**
 * Throws the {@link ConnectorEntityError} `PERMISSION_DENIED` (or `UNKNOWN_METHOD`) unless `granted`
 * allows the call. The hub calls it for every call a connector makes.
 *
 * @example
 * ```ts
 * assertAllowed(manifest.permissions ?? [], 'invoices', 'issue');
 * ```
 */
export function assertAllowed(granted: readonly string[], kind: string, method: string): void {
  const needed = requiredPermission(kind, method);
  if (!needed) throw new ConnectorEntityError('UNKNOWN_METHOD', `entities.${kind}.${method} does not exist`, 400);
  if (!allows(granted, kind, method)) throw new ConnectorEntityError('PERMISSION_DENIED', `entities.${kind}.${method} needs the "${needed}" permission, which the manifest does not declare`, 403);
}

/**
 * A {@link ConnectorEntities} whose every method checks `granted` before calling `inner`: what the
 * hub hands a connector, and what a connector's own tests can wrap their fakes in to see that the
 * manifest declares all it uses.
 *
 * @example
 * ```ts
 * const entities = guardEntities(fakes, manifest.permissions ?? []);
 * await entities.customers.create({ email: 'a@example.com' }); // PERMISSION_DENIED without customers:write
 * ```
 */
export function guardEntities(inner: ConnectorEntities, granted: readonly string[]): ConnectorEntities {
  const out: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const [kind, methods] of Object.entries(ENTITY_METHODS)) {
    const target = inner[kind as EntityKind] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    out[kind] = {};
    for (const method of Object.keys(methods)) {
      out[kind][method] = async (...args: unknown[]) => {
        assertAllowed(granted, kind, method);
        const fn = target[method];
        if (typeof fn !== 'function') throw new ConnectorEntityError('UNKNOWN_METHOD', `entities.${kind}.${method} is not available`, 400);
        return fn.apply(target, args);
      };
    }
  }
  return out as unknown as ConnectorEntities;
}
