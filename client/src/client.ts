import { createTransport, normalizeBaseUrl, type TransportOptions } from './transport.js';
import type { WebSocketConstructor } from './subscribe.js';
import { createResourceContext } from './resources/context.js';
import { createApiKeysResource, createOrganizationsResource, type ApiKeysResource, type OrganizationsResource } from './resources/organizations.js';
import { createCustomersResource, type CustomersResource } from './resources/customers.js';
import { createEventsResource, type EventsResource, type StreamOptions } from './resources/events.js';
import {
  createAccountsResource,
  createJournalEntriesResource,
  createLedgerSettingsResource,
  type AccountsResource,
  type JournalEntriesResource,
  type LedgerSettingsResource,
} from './resources/ledger.js';
import { createProductsResource, createTaxRatesResource, type ProductsResource, type TaxRatesResource } from './resources/catalog.js';
import { createQuotesResource, type QuotesResource } from './resources/quotes.js';
import {
  createCreditNotesResource,
  createInvoiceSettingsResource,
  createInvoicesResource,
  type CreditNotesResource,
  type InvoiceSettingsResource,
  type InvoicesResource,
} from './resources/invoices.js';
import { createPaymentsResource, type PaymentsResource } from './resources/payments.js';
import { createPayoutsResource, type PayoutsResource } from './resources/payouts.js';
import { createBankAccountsResource, createBankTransactionsResource, type BankAccountsResource, type BankTransactionsResource } from './resources/banking.js';
import { createReportsResource, type ReportsResource } from './resources/reports.js';
import {
  createBillsResource,
  createExpensesResource,
  createPurchaseOrdersResource,
  createVendorsResource,
  type BillsResource,
  type ExpensesResource,
  type PurchaseOrdersResource,
  type VendorsResource,
} from './resources/purchasing.js';
import { createDataTransferResource, createInventoryResource, type DataTransferResource, type InventoryResource } from './resources/inventory.js';
import {
  createMilestonesResource,
  createPayrollRunsResource,
  createProjectsResource,
  createTimeEntriesResource,
  createTimesheetsResource,
  type MilestonesResource,
  type PayrollRunsResource,
  type ProjectsResource,
  type TimeEntriesResource,
  type TimesheetsResource,
} from './resources/projects.js';
import { createWebhooksResource, type WebhooksResource } from './resources/webhook-endpoints.js';
import { createConnectorsResource, createIntegrationsResource, type ConnectorsResource, type IntegrationsResource } from './resources/integrations.js';
import type { Transport } from './transport.js';

export interface ClientOptions extends TransportOptions {
  /**
   * The organization the key belongs to: the paths of the API are under `/v1/organizations/{id}`.
   * Needed by every method except `organizations.create` (admin token).
   */
  organizationId?: string;
  /**
   * The WebSocket class for `events.subscribe`, where there is no global one (Node 20: pass the `ws`
   * package's class). Default: `globalThis.WebSocket` (browsers, Node 22+).
   */
  WebSocket?: WebSocketConstructor;
}

export interface UahClient {
  readonly organizationId: string | undefined;
  organizations: OrganizationsResource;
  apiKeys: ApiKeysResource;
  customers: CustomersResource;
  events: EventsResource;
  /** The chart of accounts, each account's balance and ledger. */
  accounts: AccountsResource;
  journalEntries: JournalEntriesResource;
  ledgerSettings: LedgerSettingsResource;
  products: ProductsResource;
  taxRates: TaxRatesResource;
  quotes: QuotesResource;
  invoices: InvoicesResource;
  invoiceSettings: InvoiceSettingsResource;
  creditNotes: CreditNotesResource;
  payments: PaymentsResource;
  payouts: PayoutsResource;
  reports: ReportsResource;
  vendors: VendorsResource;
  purchaseOrders: PurchaseOrdersResource;
  bills: BillsResource;
  expenses: ExpensesResource;
  /** Stock of tracked products, adjustments and the negative-stock setting. */
  inventory: InventoryResource;
  /** Export of the organization's data, import of customers, vendors and products from CSV. */
  data: DataTransferResource;
  projects: ProjectsResource;
  milestones: MilestonesResource;
  timeEntries: TimeEntriesResource;
  timesheets: TimesheetsResource;
  payrollRuns: PayrollRunsResource;
  bankAccounts: BankAccountsResource;
  bankTransactions: BankTransactionsResource;
  /** Endpoints the organization's events are POSTed to, signed, and their deliveries. */
  webhooks: WebhooksResource;
  /** The hub's connector catalog (not bound to an organization). */
  connectors: ConnectorsResource;
  /** The connectors the organization enabled: configuration, status, syncs, actions. */
  integrations: IntegrationsResource;
  /** The same client for another organization (an admin token manages several). */
  forOrganization(organizationId: string): UahClient;
}

export function resources(transport: Transport, organizationId: string | undefined, stream: StreamOptions): UahClient {
  const c = createResourceContext(transport, organizationId);
  return {
    organizationId,
    organizations: createOrganizationsResource(c),
    apiKeys: createApiKeysResource(c),
    customers: createCustomersResource(c),
    events: createEventsResource(c, stream),
    accounts: createAccountsResource(c),
    journalEntries: createJournalEntriesResource(c),
    ledgerSettings: createLedgerSettingsResource(c),
    products: createProductsResource(c),
    taxRates: createTaxRatesResource(c),
    quotes: createQuotesResource(c),
    invoices: createInvoicesResource(c),
    invoiceSettings: createInvoiceSettingsResource(c),
    creditNotes: createCreditNotesResource(c),
    payments: createPaymentsResource(c),
    payouts: createPayoutsResource(c),
    reports: createReportsResource(c),
    vendors: createVendorsResource(c),
    purchaseOrders: createPurchaseOrdersResource(c),
    bills: createBillsResource(c),
    expenses: createExpensesResource(c),
    inventory: createInventoryResource(c),
    data: createDataTransferResource(c),
    projects: createProjectsResource(c),
    milestones: createMilestonesResource(c),
    timeEntries: createTimeEntriesResource(c),
    timesheets: createTimesheetsResource(c),
    payrollRuns: createPayrollRunsResource(c),
    bankAccounts: createBankAccountsResource(c),
    bankTransactions: createBankTransactionsResource(c),
    webhooks: createWebhooksResource(c),
    connectors: createConnectorsResource(c),
    integrations: createIntegrationsResource(c),
    forOrganization: (other) => resources(transport, other, stream),
  };
}

/**
 * A typed client for the Universal Accounting Hub REST API. Methods return the API's objects (types
 * from @uah/schemas) and throw a `UahApiError` carrying the problem+json fields when the API refuses.
 * Every POST carries an Idempotency-Key (generated unless given), so the client retries it safely
 * after a 429, a 5xx or a lost connection; GETs are retried too, PATCHes and PUTs only after a 429.
 *
 * @example
 * ```ts
 * const uah = createClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.UAH_API_KEY!, organizationId: 'org_…' });
 * const customer = await uah.customers.create({ businessName: 'Acme Ltd', email: 'billing@acme.test' });
 * const draft = await uah.invoices.create({ customerId: customer.id, lines: [{ description: 'Consulting', quantity: '2', unitPrice: 15000 }] });
 * const issued = await uah.invoices.issue(draft.id, {});
 * for await (const event of uah.events.iterate({ types: ['invoice.paid'] })) console.log(event.id, event.type);
 * ```
 */
export function createClient(options: ClientOptions): UahClient {
  return resources(createTransport(options), options.organizationId, streamOptions(options));
}

/** The WebSocket: the option, else the global one (browsers, Node 22+), else the `ws` package, loaded when first needed (Node 20). */
export function streamOptions(options: Pick<ClientOptions, 'baseUrl' | 'apiKey' | 'WebSocket'>): StreamOptions {
  const globalWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return { baseUrl: normalizeBaseUrl(options.baseUrl), apiKey: options.apiKey, WebSocket: options.WebSocket ?? globalWebSocket ?? loadWs };
}

async function loadWs(): Promise<WebSocketConstructor> {
  // A computed specifier: bundlers for browsers leave it out (browsers have a global WebSocket).
  const specifier = 'ws';
  const module = (await import(specifier)) as { WebSocket: WebSocketConstructor };
  return module.WebSocket;
}
