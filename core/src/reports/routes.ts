import { defineRoute, type Route } from '../http/route.js';
import type { ReportService } from './service.js';

const base = '/v1/organizations/:orgId/reports';

export function createReportRoutes(reports: ReportService): Route[] {
  return [
    defineRoute({
      method: 'GET', path: `${base}/trial-balance`, operationId: 'getTrialBalance', tag: 'Reports', summary: 'Trial balance',
      description: 'Every account with a balance as of `asOf` (inclusive), from the postings, in base-currency minor units: debit balances in `debit`, credit balances in `credit`; `balanced` tells that the two columns add up to the same total.',
      query: 'TrialBalanceQuery', response: { status: 200, schema: 'TrialBalanceReport' },
      handler: ({ organizationId, query }) => reports.trialBalance(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/balance-sheet`, operationId: 'getBalanceSheet', tag: 'Reports', summary: 'Balance sheet',
      description: 'Assets, liabilities and equity as of `asOf`. Revenue and expenses not yet closed appear in equity as `currentEarnings`, so assets = liabilities + equity.',
      query: 'BalanceSheetQuery', response: { status: 200, schema: 'BalanceSheetReport' },
      handler: ({ organizationId, query }) => reports.balanceSheet(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/profit-and-loss`, operationId: 'getProfitAndLoss', tag: 'Reports', summary: 'Profit and loss',
      description: 'Revenue and expenses posted from `from` to `to` (both inclusive), and the net income.',
      query: 'ProfitAndLossQuery', response: { status: 200, schema: 'ProfitAndLossReport' },
      handler: ({ organizationId, query }) => reports.profitAndLoss(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/ar-aging`, operationId: 'getArAging', tag: 'Reports', summary: 'Accounts receivable aging',
      description: 'The receivables at `asOf`, from the postings dated on or before it: each invoice with what it owed that day (an invoice paid later still shows), by days past due at `asOf` (current, 1–30, 31–60, 61–90, over 90), per customer and in total, in base currency. Receivables postings that name no invoice (manual journal entries) are listed under `unallocated`, aged by entry date. `totals.total` equals the receivables account balance in the trial balance at `asOf`.',
      query: 'ArAgingQuery', response: { status: 200, schema: 'ArAgingReport' },
      handler: ({ organizationId, query }) => reports.arAging(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${base}/ap-aging`, operationId: 'getApAging', tag: 'Reports', summary: 'Accounts payable aging',
      description: 'The payables at `asOf`, from the postings dated on or before it, the mirror of the AR aging: each bill with what was owed on it that day (a bill paid later still shows), by days past due at `asOf` (current, 1–30, 31–60, 61–90, over 90), per vendor and in total, in base currency, owed amounts positive. Payables postings that name no bill (manual journal entries) are listed under `unallocated`, aged by entry date. `totals.total` equals the payables account credit balance in the trial balance at `asOf`.',
      query: 'ApAgingQuery', response: { status: 200, schema: 'ApAgingReport' },
      handler: ({ organizationId, query }) => reports.apAging(organizationId, query),
    }),
  ];
}
