import type {
  ApAgingQuery,
  ApAgingReport,
  ArAgingQuery,
  ArAgingReport,
  BalanceSheetQuery,
  BalanceSheetReport,
  ProfitAndLossQuery,
  ProfitAndLossReport,
  TrialBalanceQuery,
  TrialBalanceReport,
} from '@uah/schemas';
import type { RequestOptions } from '../transport.js';
import type { ResourceContext } from './context.js';

/** The reports, from the postings, in base-currency minor units. */
export interface ReportsResource {
  trialBalance(query?: TrialBalanceQuery, options?: RequestOptions): Promise<TrialBalanceReport>;
  /** Assets = liabilities + equity (unclosed revenue and expenses as `currentEarnings`). */
  balanceSheet(query?: BalanceSheetQuery, options?: RequestOptions): Promise<BalanceSheetReport>;
  profitAndLoss(query?: ProfitAndLossQuery, options?: RequestOptions): Promise<ProfitAndLossReport>;
  /** Open invoices by days past due: current, 1–30, 31–60, 61–90, over 90. */
  arAging(query?: ArAgingQuery, options?: RequestOptions): Promise<ArAgingReport>;
  /** Open bills by days past due, per vendor, from the payables postings. */
  apAging(query?: ApAgingQuery, options?: RequestOptions): Promise<ApAgingReport>;
}

export function createReportsResource(c: ResourceContext): ReportsResource {
  const report = <Q extends object, R>(name: string) => (query?: Q, o?: RequestOptions): Promise<R> => c.get(`${c.org()}/reports/${name}`, query, o);
  return {
    trialBalance: report<TrialBalanceQuery, TrialBalanceReport>('trial-balance'),
    balanceSheet: report<BalanceSheetQuery, BalanceSheetReport>('balance-sheet'),
    profitAndLoss: report<ProfitAndLossQuery, ProfitAndLossReport>('profit-and-loss'),
    arAging: report<ArAgingQuery, ArAgingReport>('ar-aging'),
    apAging: report<ApAgingQuery, ApAgingReport>('ap-aging'),
  };
}
