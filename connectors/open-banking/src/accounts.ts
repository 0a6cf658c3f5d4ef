import { decimalToMinorUnits, isCurrencyCode, type BankAccount, type CurrencyCode } from '@uah/connector-sdk';
import { api, listAll, VERSION, type Ctx, type RemoteAccount, type RemoteBalance } from './api.js';

export const ACCOUNT_MAPPING = 'bank_account';

/** The currency of an amount the API gives without one: the standard's default. */
export const DEFAULT_CURRENCY: CurrencyCode = 'AUD';

export function currencyOf(value: string | undefined): CurrencyCode {
  const code = (value ?? DEFAULT_CURRENCY).toUpperCase();
  if (!isCurrencyCode(code)) throw new RangeError(`"${code}" is not an ISO 4217 currency code`);
  return code;
}

/** A balance in minor units, as the books keep money. */
export function balanceOf(remote: RemoteBalance, bankAccountId: string | null): { accountId: string; bankAccountId: string | null; currency: CurrencyCode; current: number; available: number; creditLimit: number } {
  const currency = currencyOf(remote.currency);
  return {
    accountId: remote.accountId, bankAccountId, currency,
    current: decimalToMinorUnits(remote.currentBalance, currency), available: decimalToMinorUnits(remote.availableBalance, currency),
    creditLimit: decimalToMinorUnits(remote.creditLimit ?? '0.00', currency),
  };
}

/** Every consented account with its balance (the bulk balances list), keyed by the provider's account id. */
export async function readAccounts(ctx: Ctx): Promise<Array<{ account: RemoteAccount; balance: RemoteBalance | undefined }>> {
  const client = api(ctx);
  const pageSize = ctx.config.pageSize ?? 100;
  const balances = new Map<string, RemoteBalance>();
  for await (const b of listAll<'balances', RemoteBalance>(client, '/banking/accounts/balances', 'balances', VERSION.bulkBalances, { 'page-size': pageSize })) balances.set(b.accountId, b);
  const out: Array<{ account: RemoteAccount; balance: RemoteBalance | undefined }> = [];
  for await (const account of listAll<'accounts', RemoteAccount>(client, '/banking/accounts', 'accounts', VERSION.accounts, { 'page-size': pageSize })) out.push({ account, balance: balances.get(account.accountId) });
  return out;
}

/**
 * The books' bank account of a provider account: the one linked to it before, or a new one (named after
 * the account, in its balance's currency) linked now, so that the next sync finds it again.
 */
export async function bankAccountFor(ctx: Ctx, account: RemoteAccount, balance: RemoteBalance | undefined): Promise<BankAccount> {
  const linked = await ctx.mappings.internalIdOf(ACCOUNT_MAPPING, account.accountId);
  const existing = linked ? await ctx.entities.bankAccounts.get(linked) : undefined;
  if (existing) return existing;
  const name = `${account.nickname ?? account.displayName} (${account.maskedNumber})`.slice(0, 200);
  const created = await ctx.entities.bankAccounts.create({ name, currency: currencyOf(balance?.currency), metadata: { openBankingAccountId: account.accountId.slice(0, 500), productName: account.productName.slice(0, 500) } });
  await ctx.mappings.link(ACCOUNT_MAPPING, created.id, account.accountId);
  return created;
}
