import { defineRoute, type Route } from '../http/route.js';
import type { ProductService } from './product-service.js';
import type { TaxRateService } from './tax-rate-service.js';

const org = '/v1/organizations/:orgId';

export function createCatalogRoutes(deps: { products: ProductService; taxRates: TaxRateService }): Route[] {
  const { products, taxRates } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/products`, operationId: 'createProduct', tag: 'Products', summary: 'Create a product',
      description: 'The SKU must be unique in the organization (case-insensitive): a second product with it gets 409 DUPLICATE_SKU.',
      body: 'ProductCreate', response: { status: 201, schema: 'Product' }, errors: [422],
      handler: ({ organizationId, body, actor }) => products.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/products`, operationId: 'listProducts', tag: 'Products', summary: 'List products',
      query: 'ProductListQuery', response: { status: 200, list: 'Product' },
      handler: ({ organizationId, query }) => products.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/products/:productId`, operationId: 'getProduct', tag: 'Products', summary: 'Get a product',
      response: { status: 200, schema: 'Product' },
      handler: ({ organizationId, params }) => products.get(organizationId, params['productId'] ?? ''),
    }),
    defineRoute({
      method: 'PATCH', path: `${org}/products/:productId`, operationId: 'updateProduct', tag: 'Products', summary: 'Update a product',
      body: 'ProductUpdate', response: { status: 200, schema: 'Product' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor }) => products.update(organizationId, params['productId'] ?? '', body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${org}/products/:productId/deactivate`, operationId: 'deactivateProduct', tag: 'Products', summary: 'Deactivate a product',
      description: 'The product stays on the documents that name it but takes no new lines.',
      response: { status: 200, schema: 'Product' },
      handler: ({ organizationId, params, actor }) => products.deactivate(organizationId, params['productId'] ?? '', actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${org}/tax-rates`, operationId: 'createTaxRate', tag: 'Tax rates', summary: 'Create a tax rate',
      description: 'The rate is in basis points (825 = 8.25%). Tax is computed per line and rounded half away from zero; it is credited to `accountId`, by default the sales tax payable account.',
      body: 'TaxRateCreate', response: { status: 201, schema: 'TaxRate' }, errors: [422],
      handler: ({ organizationId, body, actor }) => taxRates.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/tax-rates`, operationId: 'listTaxRates', tag: 'Tax rates', summary: 'List tax rates',
      query: 'TaxRateListQuery', response: { status: 200, list: 'TaxRate' },
      handler: ({ organizationId, query }) => taxRates.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/tax-rates/:taxRateId`, operationId: 'getTaxRate', tag: 'Tax rates', summary: 'Get a tax rate',
      response: { status: 200, schema: 'TaxRate' },
      handler: ({ organizationId, params }) => taxRates.get(organizationId, params['taxRateId'] ?? ''),
    }),
    defineRoute({
      method: 'PATCH', path: `${org}/tax-rates/:taxRateId`, operationId: 'updateTaxRate', tag: 'Tax rates', summary: 'Update or deactivate a tax rate',
      description: 'Documents already written keep the rate they were computed with.',
      body: 'TaxRateUpdate', response: { status: 200, schema: 'TaxRate' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => taxRates.update(organizationId, params['taxRateId'] ?? '', body, actor.eventMetadata),
    }),
  ];
}
