import type { Product, ProductCreate, ProductListQuery, ProductUpdate, TaxRate, TaxRateCreate, TaxRateListQuery, TaxRateUpdate } from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

export interface ProductsResource {
  create(body: ProductCreate, options?: RequestOptions): Promise<Product>;
  get(id: string, options?: RequestOptions): Promise<Product>;
  list(query?: ProductListQuery, options?: RequestOptions): Promise<Page<Product>>;
  iterate(query?: Omit<ProductListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Product>;
  update(id: string, body: ProductUpdate, options?: RequestOptions): Promise<Product>;
  /** The product stays on the documents that name it but takes no new lines. */
  deactivate(id: string, options?: RequestOptions): Promise<Product>;
}

export interface TaxRatesResource {
  /** `basisPoints`: 825 = 8.25%. */
  create(body: TaxRateCreate, options?: RequestOptions): Promise<TaxRate>;
  get(id: string, options?: RequestOptions): Promise<TaxRate>;
  list(query?: TaxRateListQuery, options?: RequestOptions): Promise<Page<TaxRate>>;
  iterate(query?: Omit<TaxRateListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<TaxRate>;
  /** Documents already written keep the rate they were computed with. */
  update(id: string, body: TaxRateUpdate, options?: RequestOptions): Promise<TaxRate>;
  /** `update(id, { active: false })`: the API deactivates a tax rate through its PATCH. */
  deactivate(id: string, options?: RequestOptions): Promise<TaxRate>;
}

export function createProductsResource(c: ResourceContext): ProductsResource {
  const base = (): string => `${c.org()}/products`;
  const one = (productId: string): string => `${base()}/${c.id(productId)}`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (productId, o) => c.get(one(productId), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (productId, body, o) => c.patch(one(productId), body, o),
    deactivate: (productId, o) => c.post(`${one(productId)}/deactivate`, undefined, o),
  };
}

export function createTaxRatesResource(c: ResourceContext): TaxRatesResource {
  const base = (): string => `${c.org()}/tax-rates`;
  const one = (taxRateId: string): string => `${base()}/${c.id(taxRateId)}`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (taxRateId, o) => c.get(one(taxRateId), undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    update: (taxRateId, body, o) => c.patch(one(taxRateId), body, o),
    deactivate: (taxRateId, o) => c.patch(one(taxRateId), { active: false } satisfies TaxRateUpdate, o),
  };
}
