import { describe, expect, it } from 'vitest';
import { mapFields, valueAt } from './field-mappings.js';

describe('field mappings', () => {
  const remote = { DisplayName: 'Acme', PrimaryEmailAddr: { Address: 'ap@acme.test' }, Notes: 'billing@acme.test', Line: [{ Amount: 12.5 }] };

  it('reads dotted paths, array indexes included, and nothing past a missing step', () => {
    expect(valueAt(remote, 'PrimaryEmailAddr.Address')).toBe('ap@acme.test');
    expect(valueAt(remote, 'Line.0.Amount')).toBe(12.5);
    expect(valueAt(remote, 'Mobile.FreeFormNumber')).toBeUndefined();
  });

  it("lays the organization's mappings over the defaults, drops a field mapped to '' and leaves out what is missing", () => {
    const defaults = { displayName: 'DisplayName', email: 'PrimaryEmailAddr.Address', phone: 'PrimaryPhone.FreeFormNumber' };
    expect(mapFields(remote, defaults)).toEqual({ displayName: 'Acme', email: 'ap@acme.test' });
    expect(mapFields(remote, defaults, { email: 'Notes', displayName: '' })).toEqual({ email: 'billing@acme.test' });
  });
});
