import { defineRoute, type Route } from '../http/route.js';
import type { CustomerService } from './service.js';

const base = '/v1/organizations/:orgId/customers';

export function createCustomerRoutes(customers: CustomerService): Route[] {
  return [
    defineRoute({
      method: 'POST', path: base, operationId: 'createCustomer', tag: 'Customers', summary: 'Create a customer',
      body: 'CustomerCreate', response: { status: 201, schema: 'Customer' },
      handler: ({ organizationId, body, actor }) => customers.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: base, operationId: 'listCustomers', tag: 'Customers', summary: 'List customers',
      query: 'CustomerListQuery', response: { status: 200, list: 'Customer' },
      handler: ({ organizationId, query }) => customers.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:customerId`, operationId: 'getCustomer', tag: 'Customers', summary: 'Get a customer',
      response: { status: 200, schema: 'Customer' },
      handler: ({ organizationId, params }) => customers.get(organizationId, params['customerId'] ?? ''),
    }),
    defineRoute({
      method: 'PATCH', path: `${base}/:customerId`, operationId: 'updateCustomer', tag: 'Customers', summary: 'Update a customer',
      body: 'CustomerUpdate', response: { status: 200, schema: 'Customer' },
      handler: ({ organizationId, params, body, actor }) => customers.update(organizationId, params['customerId'] ?? '', body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${base}/:customerId/deactivate`, operationId: 'deactivateCustomer', tag: 'Customers', summary: 'Deactivate a customer',
      description: 'The customer stays in the books (documents keep referring to it) but takes no new documents.',
      response: { status: 200, schema: 'Customer' },
      handler: ({ organizationId, params, actor }) => customers.deactivate(organizationId, params['customerId'] ?? '', actor.eventMetadata),
    }),
  ];
}
