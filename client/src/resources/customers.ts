import type { Customer, CustomerCreate, CustomerListQuery, CustomerUpdate } from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

export interface CustomersResource {
  create(body: CustomerCreate, options?: RequestOptions): Promise<Customer>;
  get(id: string, options?: RequestOptions): Promise<Customer>;
  list(query?: CustomerListQuery, options?: RequestOptions): Promise<Page<Customer>>;
  iterate(query?: Omit<CustomerListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Customer>;
  update(id: string, body: CustomerUpdate, options?: RequestOptions): Promise<Customer>;
  deactivate(id: string, options?: RequestOptions): Promise<Customer>;
}

export function createCustomersResource(c: ResourceContext): CustomersResource {
  const base = (): string => `${c.org()}/customers`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (customerId, o) => c.get(`${base()}/${c.id(customerId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (customerId, body, o) => c.patch(`${base()}/${c.id(customerId)}`, body, o),
    deactivate: (customerId, o) => c.post(`${base()}/${c.id(customerId)}/deactivate`, undefined, o),
  };
}
