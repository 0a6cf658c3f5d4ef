import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { LedgerService } from '../ledger/service.js';
import type { PaymentService } from '../payments/service.js';
import type { PayoutService } from '../payments/payout-service.js';
import type { InvoiceService } from '../sales/invoice-service.js';
import type { Route } from '../http/route.js';
import { createBankAccountService, type BankAccountService } from './account-service.js';
import { createBankImportService, type BankImportService } from './import-service.js';
import { createOpenItemSources, type OpenItemSource } from './matching/open-items.js';
import { createPayoutOpenItemSource } from './matching/payout-items.js';
import { createReconciliationService, type ReconciliationService } from './reconciliation-service.js';
import { createBankingRoutes } from './routes.js';
import { createBankTransactionService, type BankTransactionService } from './transaction-service.js';

export interface BankingDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: CustomerService;
  ledger: LedgerService;
  payments: PaymentService;
  invoices: InvoiceService;
  /** Processor payouts: a deposit may be one payout of many payments less fees. */
  payouts?: PayoutService;
  /** More open-item sources: the purchasing context's bills and bill payments, for debits. */
  extraSources?: OpenItemSource[];
}

export interface Banking {
  accounts: BankAccountService;
  imports: BankImportService;
  transactions: BankTransactionService;
  reconciliation: ReconciliationService;
  routes: Route[];
}

/** Bank accounts, statement imports, bank transactions and their reconciliation: credits with payments, invoices and processor payouts, debits with what `extraSources` offer (bills). */
export function createBanking(deps: BankingDeps): Banking {
  const { knex, events, ledger } = deps;
  const accounts = createBankAccountService({ knex, events, organizations: deps.organizations, ledger });
  const imports = createBankImportService({ knex, events });
  const { payouts } = deps;
  const transactions = createBankTransactionService({ knex, ...(payouts ? { payouts } : {}) });
  const sources = [
    ...createOpenItemSources({ payments: deps.payments, invoices: deps.invoices, customers: deps.customers }),
    ...(payouts ? [createPayoutOpenItemSource({ payouts })] : []),
    ...(deps.extraSources ?? []),
  ];
  const reconciliation = createReconciliationService({ knex, events, ledger, sources, payments: deps.payments });
  return { accounts, imports, transactions, reconciliation, routes: createBankingRoutes({ accounts, imports, transactions, reconciliation }) };
}
