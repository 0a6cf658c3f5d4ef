import type { Knex } from 'knex';
import type { Account, CurrencyCode, Product, SalesLine, SalesLineInput } from '@uah/schemas';
import { unprocessable, validationFailed } from '../http/errors.js';
import type { LedgerService } from '../ledger/service.js';
import type { ProductService } from '../catalog/product-service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import { findAccount } from '../catalog/accounts.js';
import { computeLine, computeTotals, type DocumentTotals, type PricedLine } from './lines.js';

export interface LineResolverDeps {
  products: Pick<ProductService, 'requireActive'>;
  taxRates: Pick<TaxRateService, 'requireActive'>;
  ledger: Pick<LedgerService, 'accountByKey' | 'accounts'>;
}

export interface ResolvedLines extends DocumentTotals {
  lines: SalesLine[];
}

export interface LineResolver {
  /**
   * Turns the lines of a request into computed lines: products, tax rates and revenue accounts are looked
   * up (all must be of this organization and active), defaults applied, and the figures computed.
   */
  resolve(organizationId: string, currency: CurrencyCode, inputs: SalesLineInput[], trx: Knex.Transaction, path?: string): Promise<ResolvedLines>;
}

export function createLineResolver(deps: LineResolverDeps): LineResolver {
  return {
    async resolve(organizationId, currency, inputs, trx, path = '/lines') {
      const at = (i: number, field?: string): string => `${path}/${i}${field ? `/${field}` : ''}`;
      const fieldOf = (name: 'productId' | 'taxRateId', pick: (l: SalesLineInput) => string | null | undefined) => (id: string) => at(inputs.findIndex((l) => pick(l) === id), name);
      const productIds = inputs.flatMap((l) => (l.productId ? [l.productId] : []));
      const products = await deps.products.requireActive(organizationId, productIds, trx, fieldOf('productId', (l) => l.productId));

      // An explicit taxRateId (null included) wins over the product's default rate.
      const taxRateOf = (l: SalesLineInput): string | null => (l.taxRateId !== undefined ? l.taxRateId : ((l.productId ? products.get(l.productId)?.taxRateId : null) ?? null));
      const rateIds = inputs.map(taxRateOf).filter((id): id is string => id !== null);
      const rates = await deps.taxRates.requireActive(organizationId, rateIds, trx, fieldOf('taxRateId', taxRateOf));
      const accounts = createAccountLookup(deps.ledger, organizationId, trx);

      const lines: SalesLine[] = [];
      for (const [i, input] of inputs.entries()) {
        const product = input.productId ? products.get(input.productId) : undefined;
        const taxRateId = taxRateOf(input);
        const priced: PricedLine = {
          productId: product?.id ?? null,
          description: describe(input, product, at(i, 'description')),
          quantity: input.quantity,
          unitPrice: priceOf(input, product, currency, at(i, 'unitPrice')),
          discount: input.discount ?? null,
          taxRateId,
          taxRateBasisPoints: taxRateId === null ? null : (rates.get(taxRateId)?.basisPoints ?? null),
          accountId: await accounts.revenueAccount(input, product, at(i, 'accountId')),
        };
        lines.push(computeLine(priced, at(i)));
      }
      const names = new Map([...rates.values()].map((r) => [r.id, r.name]));
      return { lines, ...computeTotals(lines, names) };
    },
  };
}

function describe(input: SalesLineInput, product: Product | undefined, field: string): string {
  const description = input.description ?? product?.name;
  if (!description) throw validationFailed([{ field, in: 'body', message: 'is required for a line without a product' }]);
  return description;
}

function priceOf(input: SalesLineInput, product: Product | undefined, currency: CurrencyCode, field: string): number {
  if (input.unitPrice !== undefined) return input.unitPrice;
  if (!product) throw validationFailed([{ field, in: 'body', message: 'is required for a line without a product' }]);
  if (product.currency !== currency) {
    throw unprocessable(`Product ${product.sku} is priced in ${product.currency}, the document is in ${currency}: give the line a unitPrice.`, [{ field, in: 'body', message: `required: the product is priced in ${product.currency}` }]);
  }
  return product.unitPrice;
}

/** Revenue accounts of one request: each looked up once. */
function createAccountLookup(ledger: LineResolverDeps['ledger'], organizationId: string, trx: Knex.Transaction) {
  const cache = new Map<string, Promise<Account | null>>();
  const once = (key: string, load: () => Promise<Account | null>): Promise<Account | null> => {
    const cached = cache.get(key);
    if (cached) return cached;
    const loading = load();
    cache.set(key, loading);
    return loading;
  };
  const byId = (id: string) => once(id, () => findAccount(ledger, organizationId, id, trx));
  const byKey = (key: 'sales_revenue' | 'service_revenue') => once(key, () => ledger.accountByKey(organizationId, key, trx));
  return {
    async revenueAccount(input: SalesLineInput, product: Product | undefined, field: string): Promise<string> {
      const explicit = input.accountId ?? product?.incomeAccountId;
      if (explicit) {
        const account = await byId(explicit);
        if (!account || account.type !== 'REVENUE' || !account.active) {
          throw unprocessable(`Account ${explicit} is not an active revenue account of this organization.`, [{ field, in: 'body', message: 'must be an active REVENUE account of this organization' }]);
        }
        return account.id;
      }
      const account = await byKey(!product || product.type === 'SERVICE' ? 'service_revenue' : 'sales_revenue');
      if (!account) throw new Error(`organization ${organizationId} has no default revenue account`);
      return account.id;
    },
  };
}
