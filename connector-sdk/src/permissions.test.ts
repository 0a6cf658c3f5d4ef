import { describe, expect, it } from 'vitest';
import { ENTITY_METHODS, type ConnectorEntities } from './entities.js';
import { allows, ConnectorEntityError, guardEntities, requiredPermission } from './permissions.js';
import { validators } from '@uah/schemas';

/** Every method answers with its own name, so a test sees which inner method ran. */
function echoEntities(): ConnectorEntities {
  const out: Record<string, Record<string, () => Promise<string>>> = {};
  for (const [kind, methods] of Object.entries(ENTITY_METHODS)) {
    out[kind] = Object.fromEntries(Object.keys(methods).map((m) => [m, async () => `${kind}.${m}`]));
  }
  return out as unknown as ConnectorEntities;
}

describe('permissions', () => {
  it('names a valid manifest permission for every method', () => {
    for (const [kind, methods] of Object.entries(ENTITY_METHODS)) {
      for (const method of Object.keys(methods)) {
        const needed = requiredPermission(kind, method);
        expect(validators.ConnectorPermission(needed), `${kind}.${method} → ${needed}`).toBe(true);
      }
    }
    expect(requiredPermission('payments', 'refund')).toBe('payments:write');
    expect(requiredPermission('taxRates', 'list')).toBe('tax_rates:read');
    expect(requiredPermission('payments', 'constructor')).toBeUndefined();
    expect(requiredPermission('__proto__', 'get')).toBeUndefined();
  });

  it('lets write include read, never the other way round', () => {
    expect(allows(['customers:write'], 'customers', 'get')).toBe(true);
    expect(allows(['customers:read'], 'customers', 'create')).toBe(false);
    expect(allows(['invoices:write'], 'customers', 'get')).toBe(false);
    expect(allows([], 'journalEntries', 'list')).toBe(false);
  });

  it('guards every call: declared ones run, others are refused before the inner method runs', async () => {
    const entities = guardEntities(echoEntities(), ['invoices:read', 'payments:write']);
    expect(await entities.invoices.findByNumber('INV-1')).toBe('invoices.findByNumber');
    expect(await entities.payments.refund('pay_1', { amount: 1 })).toBe('payments.refund');
    const refused = await entities.invoices.issue('inv_1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectorEntityError);
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
    expect((refused as Error).message).toContain('invoices:write');
    await expect(entities.customers.list()).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
