import type { Knex } from 'knex';
import type { Account, Product, PurchaseLine, PurchaseLineInput } from '@uah/schemas';
import { unprocessable, type FieldError } from '../http/errors.js';
import { divRound, formatDecimal, parseDecimal, toSafeNumber } from '../shared/money.js';
import type { LedgerService } from '../ledger/service.js';
import type { ProductService } from '../catalog/product-service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import { findAccount } from '../catalog/accounts.js';

const QTY_SCALE = 4;
const QTY_ONE = 10n ** BigInt(QTY_SCALE);
const BASIS = 10_000n;
const MAX_AMOUNT = 100_000_000_000_000n;

export interface LineDeps {
  ledger: Pick<LedgerService, 'accounts' | 'accountByKey'>;
  products: Pick<ProductService, 'requireActive'>;
  taxRates: Pick<TaxRateService, 'requireActive'>;
}

export interface ResolvedLines {
  lines: PurchaseLine[];
  /** The products named by the lines (a bill's tracked lines are received into stock). */
  products: Map<string, Product>;
  subtotal: number;
  taxTotal: number;
  total: number;
}

/** amount = round(quantity × unitCost), tax = round(amount × rate), half away from zero; as on sales lines. */
function amounts(quantity: string, unitCost: number, basisPoints: number | null, field: string): { amount: number; taxAmount: number } {
  const q = parseDecimal(quantity, QTY_SCALE);
  const amount = divRound(q * BigInt(unitCost), QTY_ONE);
  const tax = basisPoints === null ? 0n : divRound(amount * BigInt(basisPoints), BASIS);
  if (amount + tax > MAX_AMOUNT) throw unprocessable(`The amount at ${field} is too large.`, [{ field, in: 'body', message: 'amount too large' }]);
  return { amount: toSafeNumber(amount), taxAmount: toSafeNumber(tax) };
}

/**
 * Accounts whose balance a subledger explains (stock values, open invoices and bills, customer credits,
 * open disputes): documents of purchasing never post to them directly, or the subledger would drift.
 */
export const SUBLEDGER_KEYS: ReadonlySet<string> = new Set(['inventory', 'receivables', 'payables', 'customer_credits', 'disputed_funds']);

/** The account a non-stock line debits: an active EXPENSE or ASSET account of the organization, not a subledger's. */
async function debitAccount(deps: LineDeps, organizationId: string, id: string, trx: Knex.Transaction, field: string): Promise<Account> {
  const account = await findAccount(deps.ledger, organizationId, id, trx);
  if (!account || !account.active || (account.type !== 'EXPENSE' && account.type !== 'ASSET') || SUBLEDGER_KEYS.has(account.systemKey ?? '')) {
    throw unprocessable(`Account ${id} is not an active EXPENSE or ASSET account of this organization that a bill may debit.`, [{ field, in: 'body', message: 'must be an active EXPENSE or ASSET account, not inventory, receivables or another subledger account' }]);
  }
  return account;
}

/**
 * Prices purchase lines: products, tax rates and accounts are checked to be the organization's and active.
 * A product that tracks inventory debits the inventory account; any other line its account or general expenses.
 */
export async function resolveLines(deps: LineDeps, organizationId: string, inputs: PurchaseLineInput[], trx: Knex.Transaction, at = '/lines'): Promise<ResolvedLines> {
  const productIds = inputs.flatMap((l) => (l.productId ? [l.productId] : []));
  const products = await deps.products.requireActive(organizationId, productIds, trx, (id) => `${at}/${inputs.findIndex((l) => l.productId === id)}/productId`);
  const rateIds = [...new Set(inputs.flatMap((l) => (l.taxRateId ? [l.taxRateId] : [])))];
  const rates = await deps.taxRates.requireActive(organizationId, rateIds, trx, (id) => `${at}/${inputs.findIndex((l) => l.taxRateId === id)}/taxRateId`);
  const inventory = await deps.ledger.accountByKey(organizationId, 'inventory', trx);
  const general = await deps.ledger.accountByKey(organizationId, 'general_expenses', trx);
  const errors: FieldError[] = [];
  const lines: PurchaseLine[] = [];
  for (const [i, input] of inputs.entries()) {
    const field = `${at}/${i}`;
    const product = input.productId ? products.get(input.productId) : undefined;
    const tracks = product?.trackInventory ?? false;
    if (tracks && input.accountId) errors.push({ field: `${field}/accountId`, in: 'body', message: 'a product that tracks inventory is debited to the inventory account' });
    const description = input.description ?? product?.name;
    if (!description) errors.push({ field: `${field}/description`, in: 'body', message: 'is required on a line without a product' });
    const accountId = tracks ? inventory.id : input.accountId ? (await debitAccount(deps, organizationId, input.accountId, trx, `${field}/accountId`)).id : general.id;
    const rate = input.taxRateId ? rates.get(input.taxRateId) : undefined;
    const { amount, taxAmount } = amounts(input.quantity, input.unitCost, rate?.basisPoints ?? null, field);
    lines.push({
      lineNo: i + 1, productId: product?.id ?? null, description: description ?? '', quantity: formatDecimal(parseDecimal(input.quantity, QTY_SCALE), QTY_SCALE),
      unitCost: input.unitCost, amount, taxRateId: rate?.id ?? null, taxRateBasisPoints: rate?.basisPoints ?? null, taxAmount, total: amount + taxAmount,
      accountId, tracksInventory: tracks,
    });
  }
  if (errors.length > 0) throw unprocessable(`The lines have ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, errors);
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const taxTotal = lines.reduce((s, l) => s + l.taxAmount, 0);
  if (subtotal + taxTotal > Number(MAX_AMOUNT)) throw unprocessable('The document total is too large.', [{ field: at, in: 'body', message: 'total too large' }]);
  return { lines, products, subtotal, taxTotal, total: subtotal + taxTotal };
}

/** The tax accounts of the lines' rates, for posting (tax rate id → account id). */
export async function taxAccounts(deps: Pick<LineDeps, 'taxRates'>, organizationId: string, lines: PurchaseLine[], trx: Knex.Transaction): Promise<Map<string, string>> {
  const ids = [...new Set(lines.flatMap((l) => (l.taxRateId ? [l.taxRateId] : [])))];
  const rates = await deps.taxRates.requireActive(organizationId, ids, trx);
  return new Map([...rates.values()].map((r) => [r.id, r.accountId]));
}
