import type { Knex } from 'knex';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { ProductService } from '../catalog/product-service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import type { Mailer } from '../mail/mailer.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { createCreditNoteService, type CreditNoteService } from './credit-note-service.js';
import { todayUtc } from './dates.js';
import { createInvoiceRoutes } from './invoice-routes.js';
import { createInvoiceService, type InvoiceService } from './invoice-service.js';
import { createLineResolver } from './line-resolver.js';
import { createInvoiceSettingsService, type InvoiceSettingsService } from './numbering.js';
import { createQuoteDelivery } from './quote-delivery.js';
import { createQuoteRoutes } from './quote-routes.js';
import { createQuoteService, type QuoteService } from './quote-service.js';
import type { Route } from '../http/route.js';
import type { InvoiceInventory } from '../inventory/service.js';

export interface SalesDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: CustomerService;
  ledger: LedgerService;
  products: ProductService;
  taxRates: TaxRateService;
  mailer: Mailer;
  compressPdf?: boolean;
  /** Keeps stock in step with issued and voided invoices. */
  inventory?: InvoiceInventory;
}

export interface Sales {
  invoices: InvoiceService;
  quotes: QuoteService;
  creditNotes: CreditNoteService;
  invoiceSettings: InvoiceSettingsService;
  routes: Route[];
}

/** How often the sales jobs look for overdue invoices and expired quotes. */
export const SALES_JOB_INTERVAL_MS = 15 * 60 * 1000;

/** The sales context: quotes, invoices, credit notes and their numbering, wired to the catalogue and the ledger. */
export function createSales(deps: SalesDeps): Sales {
  const settings = createInvoiceSettingsService({ knex: deps.knex });
  const lines = createLineResolver(deps);
  const { invoices, internals } = createInvoiceService({ ...deps, settings, lines });
  const quotes = createQuoteService({ ...deps, lines, settings, drafts: internals.drafts, delivery: createQuoteDelivery(deps) });
  const creditNotes = createCreditNoteService({ ...deps, lines, store: internals.store, settlement: internals.settlement });
  const routes = [...createQuoteRoutes(quotes), ...createInvoiceRoutes({ invoices, settings, creditNotes })];
  return { invoices, quotes, creditNotes, invoiceSettings: settings, routes };
}

/** The jobs that move documents on with the calendar: overdue invoices and expired quotes. */
export const SALES_JOBS = ['sales.invoices-overdue', 'sales.quotes-expiry'] as const;

export function scheduleSalesJobs(scheduler: Scheduler, sales: Pick<Sales, 'invoices' | 'quotes'>, intervalMs = SALES_JOB_INTERVAL_MS): void {
  scheduler.every(SALES_JOBS[0], intervalMs, async () => {
    await sales.invoices.markOverdue(todayUtc());
  });
  scheduler.every(SALES_JOBS[1], intervalMs, async () => {
    await sales.quotes.expireDue(todayUtc());
  });
}
