/**
 * The organization's books as a connector sees them: one collection per kind of entity, each call
 * served by the core's own services (validated, posted to the ledger, emitting its domain events with
 * `source: IMPORT` or `WEBHOOK` and the id of what caused it). The manifest's `permissions` decide
 * which calls a connector may make; the hub refuses the others with a {@link ConnectorEntityError}.
 */
import type {
  BankAccount, BankAccountCreate, BankAccountListQuery, BankAccountUpdate,
  BankFeedImport, BankReconciliationResult, BankReconciliationRun, BankStatementImport, BankTransaction, BankTransactionListQuery,
  CreditNote, CreditNoteCreate, CreditNoteListQuery,
  Customer, CustomerCreate, CustomerListQuery, CustomerUpdate,
  InventoryAdjustment, InventoryAdjustmentCreate, StockLevel,
  Milestone, MilestoneComplete, MilestoneListQuery, Project, ProjectListQuery,
  Invoice, InvoiceCreate, InvoiceIssue, InvoiceListQuery, InvoiceUpdate, InvoiceVoid,
  JournalEntry, JournalEntryListQuery,
  Payment, PaymentApply, PaymentComplete, PaymentCreate, PaymentDisputeCreate, PaymentDisputeResolve, PaymentFail, PaymentListQuery, PaymentRefundCreate,
  Payout, PayoutListQuery, PayoutRecord,
  Product, ProductCreate, ProductListQuery, ProductUpdate,
  TaxRate, TaxRateCreate, TaxRateListQuery, TaxRateUpdate,
} from '@uah/schemas';

/**
 * One page of a list, as the REST API returns it.
 *
 * @example
 * ```ts
 * const page: Page<Customer> = await ctx.entities.customers.list({ limit: 100 });
 * if (page.nextCursor) await ctx.entities.customers.list({ cursor: page.nextCursor });
 * ```
 */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Reading one kind of entity of the organization (needs `<kind>:read` or `<kind>:write`).
 *
 * @example
 * ```ts
 * const entry = await ctx.entities.journalEntries.get('je_01JD3X7G2M4N6P8Q0R2S4T6V8W');
 * ```
 */
export interface ReadableCollection<T, TListQuery> {
  /** `undefined` when there is no such entity in the organization. */
  get(id: string): Promise<T | undefined>;
  list(query?: TListQuery): Promise<Page<T>>;
}

/**
 * Reading and writing one kind of entity. Writes need `<kind>:write`, go through the core's services,
 * and emit their domain events exactly as an API call would.
 *
 * @example
 * ```ts
 * const existing = await ctx.entities.customers.get('cus_01JD3X7G2M4N6P8Q0R2S4T6V8W');
 * ```
 */
export interface EntityCollection<T, TCreate, TUpdate, TListQuery> extends ReadableCollection<T, TListQuery> {
  create(input: TCreate): Promise<T>;
  update(id: string, patch: TUpdate): Promise<T>;
}

/**
 * Invoices: drafts are created and changed, then issued (numbered and posted) or voided.
 *
 * @example
 * ```ts
 * const draft = await ctx.entities.invoices.createDraft({ customerId, currency: 'USD', lines: [{ description: 'Plan', quantity: 1, unitPrice: 4900 }] });
 * const issued = await ctx.entities.invoices.issue(draft.id);
 * await ctx.entities.invoices.findByNumber(issued.number!);
 * ```
 */
export interface InvoiceCollection extends ReadableCollection<Invoice, InvoiceListQuery> {
  /** The issued invoice with this number, `undefined` if none. */
  findByNumber(number: string): Promise<Invoice | undefined>;
  createDraft(input: InvoiceCreate): Promise<Invoice>;
  updateDraft(id: string, patch: InvoiceUpdate): Promise<Invoice>;
  issue(id: string, input?: InvoiceIssue): Promise<Invoice>;
  void(id: string, input?: InvoiceVoid): Promise<Invoice>;
}

/**
 * Payments as a processor reports them: recorded (PENDING or already COMPLETED), completed with the
 * processor's fees, failed, refunded, disputed, and applied to invoices.
 *
 * @example
 * ```ts
 * const payment = await ctx.entities.payments.record({ customerId, amount: 4900, currency: 'USD', method: 'CARD', status: 'PENDING' });
 * await ctx.entities.payments.complete(payment.id, { fees: 172 });
 * ```
 */
export interface PaymentCollection extends ReadableCollection<Payment, PaymentListQuery> {
  record(input: PaymentCreate): Promise<Payment>;
  /** PENDING → PROCESSING (the processor has the payment and is clearing it). */
  process(id: string): Promise<Payment>;
  complete(id: string, input?: PaymentComplete): Promise<Payment>;
  fail(id: string, input?: PaymentFail): Promise<Payment>;
  refund(id: string, input: PaymentRefundCreate): Promise<Payment>;
  dispute(id: string, input: PaymentDisputeCreate): Promise<Payment>;
  resolveDispute(id: string, input: PaymentDisputeResolve): Promise<Payment>;
  apply(id: string, input: PaymentApply): Promise<Payment>;
}

/**
 * Payouts: the processor's transfers of its balance to the organization's bank, each recorded once per
 * provider reference (`po_…`) with the payments, refunds and fees it settles. Recording one again moves
 * its status forward only and adds new items; reaching PAID posts it (Dr bank, Cr payment clearing).
 *
 * @example
 * ```ts
 * const payout = await ctx.entities.payouts.record({ providerReference: 'po_1Nxyz', status: 'PAID', amount: 9680, currency: 'USD', arrivalDate: '2026-02-03', items: [{ kind: 'PAYMENT', paymentId, amount: 9680, providerReference: 'txn_1' }] });
 * await ctx.entities.payouts.list({ providerReference: 'po_1Nxyz' });
 * ```
 */
export interface PayoutCollection extends ReadableCollection<Payout, PayoutListQuery> {
  record(input: PayoutRecord): Promise<Payout>;
}

/**
 * Credit notes against issued invoices.
 *
 * @example
 * ```ts
 * await ctx.entities.creditNotes.create({ invoiceId, amount: 1000, reason: 'Partial refund at the provider' });
 * ```
 */
export interface CreditNoteCollection extends ReadableCollection<CreditNote, CreditNoteListQuery> {
  create(input: CreditNoteCreate): Promise<CreditNote>;
}

/**
 * Bank transactions from a bank feed: the booked lines of one bank account go in through `importFeed`
 * (the bank's id of each line decides what is new, so overlapping windows add each line once), then
 * `reconcile` runs the core's automatic matching, as `POST /bank-reconciliation-runs` does.
 *
 * @example
 * ```ts
 * const result = await ctx.entities.bankTransactions.importFeed(bankAccountId, {
 *   source: 'my-aggregator 2026-01-01..2026-01-31',
 *   transactions: [{ id: 'txn-1', date: '2026-01-15', amount: 125000, currency: 'AUD', description: 'Transfer from Acme' }],
 * });
 * if (result.imported > 0) await ctx.entities.bankTransactions.reconcile({ bankAccountId });
 * ```
 */
export interface BankTransactionCollection extends ReadableCollection<BankTransaction, BankTransactionListQuery> {
  importFeed(bankAccountId: string, input: BankFeedImport): Promise<BankStatementImport>;
  reconcile(input?: BankReconciliationRun): Promise<BankReconciliationResult>;
}

/**
 * Stock of the products that track inventory: what is on hand, and adjustments (each posted at cost).
 *
 * @example
 * ```ts
 * const level = await ctx.entities.inventory.stockLevel(productId);
 * await ctx.entities.inventory.adjust({ productId, quantityChange: '3', reason: 'STOCK_COUNT', note: 'Counted at the store' });
 * ```
 */
export interface InventoryCollection {
  stockLevel(productId: string): Promise<StockLevel>;
  adjust(input: InventoryAdjustmentCreate): Promise<InventoryAdjustment>;
}

/**
 * Projects and their milestones: read, and a milestone completed when the work is done elsewhere.
 *
 * @example
 * ```ts
 * const page = await ctx.entities.projects.listMilestones(projectId, { limit: 100 });
 * await ctx.entities.projects.completeMilestone(page.data[0]!.id, { date: '2026-03-31' });
 * ```
 */
export interface ProjectCollection extends ReadableCollection<Project, ProjectListQuery> {
  getMilestone(id: string): Promise<Milestone | undefined>;
  listMilestones(projectId: string, query?: MilestoneListQuery): Promise<Page<Milestone>>;
  completeMilestone(id: string, input?: MilestoneComplete): Promise<Milestone>;
}

/**
 * The entities a connector may use, each behind the permission of its kind.
 *
 * @example
 * ```ts
 * const customer = await ctx.entities.customers.create({ businessName: 'Acme Ltd', email: 'billing@acme.test' });
 * ```
 */
export interface ConnectorEntities {
  customers: EntityCollection<Customer, CustomerCreate, CustomerUpdate, CustomerListQuery>;
  products: EntityCollection<Product, ProductCreate, ProductUpdate, ProductListQuery>;
  taxRates: EntityCollection<TaxRate, TaxRateCreate, TaxRateUpdate, TaxRateListQuery>;
  invoices: InvoiceCollection;
  payments: PaymentCollection;
  payouts: PayoutCollection;
  creditNotes: CreditNoteCollection;
  inventory: InventoryCollection;
  projects: ProjectCollection;
  /** Read only: a connector never posts to the ledger directly; documents post their own entries. */
  journalEntries: ReadableCollection<JournalEntry, JournalEntryListQuery>;
  /** The organization's bank accounts; a feed connector links each provider account to one (mappings). */
  bankAccounts: EntityCollection<BankAccount, BankAccountCreate, BankAccountUpdate, BankAccountListQuery>;
  bankTransactions: BankTransactionCollection;
}

/**
 * The kinds of {@link ConnectorEntities}.
 *
 * @example
 * ```ts
 * const kind: EntityKind = 'payments';
 * ```
 */
export type EntityKind = keyof ConnectorEntities;

/**
 * Every method of every collection and whether it reads or writes, with the permission prefix of its
 * kind. The hub serves exactly these calls, and a worker builds its context from this table.
 *
 * @example
 * ```ts
 * ENTITY_METHODS.payments.refund; // 'write'
 * ```
 */
export const ENTITY_METHODS = {
  customers: { get: 'read', list: 'read', create: 'write', update: 'write' },
  products: { get: 'read', list: 'read', create: 'write', update: 'write' },
  taxRates: { get: 'read', list: 'read', create: 'write', update: 'write' },
  invoices: { get: 'read', list: 'read', findByNumber: 'read', createDraft: 'write', updateDraft: 'write', issue: 'write', void: 'write' },
  payments: { get: 'read', list: 'read', record: 'write', process: 'write', complete: 'write', fail: 'write', refund: 'write', dispute: 'write', resolveDispute: 'write', apply: 'write' },
  payouts: { get: 'read', list: 'read', record: 'write' },
  creditNotes: { get: 'read', list: 'read', create: 'write' },
  inventory: { stockLevel: 'read', adjust: 'write' },
  projects: { get: 'read', list: 'read', getMilestone: 'read', listMilestones: 'read', completeMilestone: 'write' },
  journalEntries: { get: 'read', list: 'read' },
  bankAccounts: { get: 'read', list: 'read', create: 'write', update: 'write' },
  bankTransactions: { get: 'read', list: 'read', importFeed: 'write', reconcile: 'write' },
} as const satisfies { [K in EntityKind]: { [M in keyof ConnectorEntities[K]]: 'read' | 'write' } };

/**
 * The permission prefix of each kind, as the manifest spells it (`tax_rates:write`).
 *
 * @example
 * ```ts
 * PERMISSION_PREFIX.taxRates; // 'tax_rates'
 * ```
 */
export const PERMISSION_PREFIX: Readonly<Record<EntityKind, string>> = {
  customers: 'customers',
  products: 'products',
  taxRates: 'tax_rates',
  invoices: 'invoices',
  payments: 'payments',
  payouts: 'payouts',
  creditNotes: 'credit_notes',
  inventory: 'inventory',
  projects: 'projects',
  journalEntries: 'journal_entries',
  bankAccounts: 'bank_accounts',
  bankTransactions: 'bank_transactions',
};
