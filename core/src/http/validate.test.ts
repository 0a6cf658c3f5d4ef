import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { validateInput } from './validate.js';

function fieldErrors(schema: Parameters<typeof validateInput>[0], value: unknown): Array<{ field: string; message: string }> {
  try {
    validateInput(schema, 'body', value);
  } catch (error) {
    if (error instanceof AppError) return (error.errors ?? []).map(({ field, message }) => ({ field, message }));
    throw error;
  }
  return [];
}

describe('validation errors', () => {
  it('names unknown fields and missing ones', () => {
    expect(fieldErrors('CustomerCreate', { firstName: 'A', nickname: 'x' })).toEqual([{ field: '/nickname', message: 'unknown field' }]);
    expect(fieldErrors('OrganizationCreate', {})).toEqual([{ field: '/name', message: 'is required' }]);
  });

  it('explains an anyOf of required fields as one line', () => {
    expect(fieldErrors('CustomerCreate', { tier: 'ENTERPRISE' })).toEqual([{ field: '', message: 'needs at least one of: firstName, lastName, businessName, email' }]);
  });

  it('explains a failed oneOf by the alternative that came closest, not by every alternative', () => {
    const line = { description: 'Setup', quantity: '1', unitPrice: 9999, discount: { basisPoints: 1000 } };
    expect(fieldErrors('InvoiceCreate', { customerId: 'cus_1', lines: [line] })).toEqual([{ field: '/lines/0/discount/type', message: 'is required' }]);
    const fixed = { ...line, discount: { type: 'AMOUNT', amount: -5 } };
    expect(fieldErrors('InvoiceCreate', { customerId: 'cus_1', lines: [fixed] })).toEqual([{ field: '/lines/0/discount/amount', message: 'must be >= 0' }]);
  });
});
