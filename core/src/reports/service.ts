import type { AccountType, ApAgingQuery, ApAgingReport, ArAgingQuery, ArAgingReport, BalanceSheetQuery, BalanceSheetReport, ProfitAndLossQuery, ProfitAndLossReport, ReportAccountLine, ReportSection, TrialBalanceQuery, TrialBalanceReport } from '@uah/schemas';
import { AppError } from '../http/errors.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { LedgerService } from '../ledger/service.js';
import type { InvoiceService } from '../sales/invoice-service.js';
import { ageReceivables } from './aging.js';
import { agePayables } from './ap-aging.js';
import type { BillService } from '../purchasing/bill-service.js';
import type { VendorService } from '../purchasing/vendor-service.js';

export interface ReportService {
  /** Every account's debit or credit balance as of a day (inclusive), base currency. */
  trialBalance(organizationId: string, query: TrialBalanceQuery): Promise<TrialBalanceReport>;
  /** Assets = liabilities + equity (with the unclosed earnings), as of a day. */
  balanceSheet(organizationId: string, query: BalanceSheetQuery): Promise<BalanceSheetReport>;
  /** Revenue − expenses between two days (inclusive). */
  profitAndLoss(organizationId: string, query: ProfitAndLossQuery): Promise<ProfitAndLossReport>;
  /** The receivables at a day, from the postings: per invoice by days past due, per customer, plus unallocated entries; totals = the receivables balance. */
  arAging(organizationId: string, query: ArAgingQuery): Promise<ArAgingReport>;
  /** The payables at a day, from the postings: per bill by days past due, per vendor, plus unallocated entries; totals = the payables credit balance. */
  apAging(organizationId: string, query: ApAgingQuery): Promise<ApAgingReport>;
}

export interface ReportServiceDeps {
  organizations: OrganizationService;
  customers: Pick<CustomerService, 'get'>;
  ledger: Pick<LedgerService, 'accountBalances' | 'receivablesByInvoice' | 'payablesByBill'>;
  invoices: Pick<InvoiceService, 'getMany'>;
  bills: Pick<BillService, 'getMany'>;
  vendors: Pick<VendorService, 'get'>;
}

type Balance = Awaited<ReturnType<LedgerService['accountBalances']>>[number];

const today = (): string => new Date().toISOString().slice(0, 10);
const typeOf = (b: Balance): AccountType => b.account.type;
/** Natural sign: debit-normal accounts (assets, expenses) count debits positive, the others credits. */
const natural = (b: Balance): number => (typeOf(b) === 'ASSET' || typeOf(b) === 'EXPENSE' ? b.balance : -b.balance);
const byCode = (a: Balance, b: Balance): number => (a.account.code < b.account.code ? -1 : a.account.code > b.account.code ? 1 : 0);

function line(b: Balance): ReportAccountLine {
  return { accountId: b.account.id, code: b.account.code, name: b.account.name, type: typeOf(b), amount: natural(b) };
}

function section(balances: Balance[], type: AccountType): ReportSection {
  const accounts = balances.filter((b) => typeOf(b) === type && b.balance !== 0).sort(byCode).map(line);
  return { accounts, total: accounts.reduce((s, a) => s + a.amount, 0) };
}

export function createReportService(deps: ReportServiceDeps): ReportService {
  const { ledger } = deps;
  const head = async <O extends string>(object: O, organizationId: string) => ({ object, organizationId, currency: await deps.organizations.baseCurrency(organizationId), generatedAt: new Date().toISOString() });

  return {
    async trialBalance(organizationId, query) {
      const asOf = query.asOf ?? today();
      const balances = (await ledger.accountBalances(organizationId, { to: asOf })).filter((b) => query.includeZero || b.balance !== 0).sort(byCode);
      const accounts = balances.map((b) => ({ accountId: b.account.id, code: b.account.code, name: b.account.name, type: typeOf(b), debit: Math.max(b.balance, 0), credit: Math.max(-b.balance, 0) }));
      const totals = { debit: accounts.reduce((s, a) => s + a.debit, 0), credit: accounts.reduce((s, a) => s + a.credit, 0) };
      return { ...(await head('trial_balance', organizationId)), asOf, accounts, totals, balanced: totals.debit === totals.credit };
    },

    async balanceSheet(organizationId, query) {
      const asOf = query.asOf ?? today();
      const balances = await ledger.accountBalances(organizationId, { to: asOf });
      const assets = section(balances, 'ASSET');
      const liabilities = section(balances, 'LIABILITY');
      const equityAccounts = section(balances, 'EQUITY');
      const currentEarnings = section(balances, 'REVENUE').total - section(balances, 'EXPENSE').total;
      const equity = { accounts: equityAccounts.accounts, currentEarnings, total: equityAccounts.total + currentEarnings };
      const totalLiabilitiesAndEquity = liabilities.total + equity.total;
      return { ...(await head('balance_sheet', organizationId)), asOf, assets, liabilities, equity, totalLiabilitiesAndEquity, balanced: assets.total === totalLiabilitiesAndEquity };
    },

    async profitAndLoss(organizationId, query) {
      const to = query.to ?? today();
      const from = query.from ?? `${to.slice(0, 4)}-01-01`;
      if (from > to) throw new AppError('VALIDATION_FAILED', `from (${from}) is after to (${to}).`, { errors: [{ field: '/from', in: 'query', message: 'is after to' }] });
      const balances = await ledger.accountBalances(organizationId, { from, to });
      const revenue = section(balances, 'REVENUE');
      const expenses = section(balances, 'EXPENSE');
      return { ...(await head('profit_and_loss', organizationId)), from, to, revenue, expenses, netIncome: revenue.total - expenses.total };
    },

    async arAging(organizationId, query) {
      const asOf = query.asOf ?? today();
      const currency = await deps.organizations.baseCurrency(organizationId);
      const receivables = await ledger.receivablesByInvoice(organizationId, asOf);
      const invoices = new Map((await deps.invoices.getMany(organizationId, receivables.invoices.map((i) => i.invoiceId))).map((i) => [i.id, i]));
      const names = new Map<string, string>();
      const customerIds = new Set(receivables.invoices.map((r) => invoices.get(r.invoiceId)?.customerId ?? r.customerId ?? ''));
      for (const customerId of customerIds) {
        if (customerId) names.set(customerId, (await deps.customers.get(organizationId, customerId)).displayName);
      }
      const body = ageReceivables(receivables, invoices, currency, (id) => names.get(id) ?? (id || 'Unknown customer'));
      return { ...(await head('ar_aging', organizationId)), asOf, ...body };
    },

    async apAging(organizationId, query) {
      const asOf = query.asOf ?? today();
      const payables = await ledger.payablesByBill(organizationId, asOf);
      const bills = new Map((await deps.bills.getMany(organizationId, payables.bills.map((b) => b.billId))).map((b) => [b.id, b]));
      const names = new Map<string, string>();
      for (const vendorId of new Set(payables.bills.map((p) => bills.get(p.billId)?.vendorId ?? p.vendorId ?? ''))) {
        if (vendorId) names.set(vendorId, (await deps.vendors.get(organizationId, vendorId)).name);
      }
      const body = agePayables(payables, bills, (id) => names.get(id) ?? (id || 'Unknown vendor'));
      return { ...(await head('ap_aging', organizationId)), asOf, ...body };
    },
  };
}
