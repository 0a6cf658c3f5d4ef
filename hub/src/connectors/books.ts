import { AppError, validateInput, type CoreServices } from '@uah/core';
import { assertAllowed, ConnectorEntityError } from '@uah/connector-sdk';
import type { EventMetadata, SchemaTypes } from '@uah/schemas';

/**
 * The books as connectors reach them: every `ctx.entities.<kind>.<method>(…)` call lands here, in the
 * hub's main thread, whatever thread the connector runs in. The organization, the permissions and the
 * cause come from the hub's own record of the call, never from the connector, so a connector cannot
 * name another organization or grant itself more.
 */
export interface BooksCall {
  organizationId: string;
  connectorId: string;
  permissions: readonly string[];
  cause: { source: 'IMPORT' | 'WEBHOOK'; causationId?: string | undefined };
  kind: string;
  method: string;
  args: unknown[];
}

export interface Books {
  call(call: BooksCall): Promise<unknown>;
}

type Name = keyof SchemaTypes;
/** `connectorId` is the calling connector's, from the hub's record of the call. */
type Run = (org: string, args: unknown[], meta: EventMetadata, connectorId: string) => Promise<unknown>;
/** Which argument positions are validated against which schema (body schemas, or a query schema). */
interface Method {
  inputs?: Array<{ at: number; schema: Name; query?: true }>;
  run: Run;
}

const id = (args: unknown[], at = 0): string => {
  const value = args[at];
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new ConnectorEntityError('VALIDATION_FAILED', `argument ${at + 1} must be an id`, 400);
  return value;
};
const arg = <T>(args: unknown[], at: number): T => args[at] as T;
/** A missing record is `undefined` to a connector, as the SDK documents `get`. */
async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

function tableOf(s: CoreServices): Record<string, Record<string, Method>> {
  const read = (get: (org: string, id: string) => Promise<unknown>, list: (org: string, q: never) => Promise<unknown>, listSchema: Name): Record<string, Method> => ({
    get: { run: (org, args) => orUndefined(get(org, id(args))) },
    list: { inputs: [{ at: 0, schema: listSchema, query: true }], run: (org, args) => list(org, arg<never>(args, 0)) },
  });
  return {
    customers: {
      ...read((o, i) => s.customers.get(o, i), (o, q) => s.customers.list(o, q), 'CustomerListQuery'),
      create: { inputs: [{ at: 0, schema: 'CustomerCreate' }], run: (o, a, m) => s.customers.create(o, arg(a, 0), m) },
      update: { inputs: [{ at: 1, schema: 'CustomerUpdate' }], run: (o, a, m) => s.customers.update(o, id(a), arg(a, 1), m) },
    },
    products: {
      ...read((o, i) => s.products.get(o, i), (o, q) => s.products.list(o, q), 'ProductListQuery'),
      create: { inputs: [{ at: 0, schema: 'ProductCreate' }], run: (o, a, m) => s.products.create(o, arg(a, 0), m) },
      update: { inputs: [{ at: 1, schema: 'ProductUpdate' }], run: (o, a, m) => s.products.update(o, id(a), arg(a, 1), m) },
    },
    taxRates: {
      ...read((o, i) => s.taxRates.get(o, i), (o, q) => s.taxRates.list(o, q), 'TaxRateListQuery'),
      create: { inputs: [{ at: 0, schema: 'TaxRateCreate' }], run: (o, a, m) => s.taxRates.create(o, arg(a, 0), m) },
      update: { inputs: [{ at: 1, schema: 'TaxRateUpdate' }], run: (o, a, m) => s.taxRates.update(o, id(a), arg(a, 1), m) },
    },
    invoices: {
      ...read((o, i) => s.invoices.get(o, i), (o, q) => s.invoices.list(o, q), 'InvoiceListQuery'),
      findByNumber: {
        run: async (o, a) => {
          const number = arg<unknown>(a, 0);
          if (typeof number !== 'string' || number.length === 0 || number.length > 64) throw new ConnectorEntityError('VALIDATION_FAILED', 'the invoice number must be a string of 1 to 64 characters', 400);
          return (await s.invoices.list(o, { number, limit: 1 })).data[0];
        },
      },
      createDraft: { inputs: [{ at: 0, schema: 'InvoiceCreate' }], run: (o, a, m) => s.invoices.create(o, arg(a, 0), m) },
      updateDraft: { inputs: [{ at: 1, schema: 'InvoiceUpdate' }], run: (o, a, m) => s.invoices.update(o, id(a), arg(a, 1), m) },
      issue: { inputs: [{ at: 1, schema: 'InvoiceIssue' }], run: (o, a, m) => s.invoices.issue(o, id(a), arg(a, 1), m) },
      void: { inputs: [{ at: 1, schema: 'InvoiceVoid' }], run: (o, a, m) => s.invoices.void(o, id(a), arg(a, 1), m) },
    },
    payments: {
      ...read((o, i) => s.payments.get(o, i), (o, q) => s.payments.list(o, q), 'PaymentListQuery'),
      record: { inputs: [{ at: 0, schema: 'PaymentCreate' }], run: (o, a, m) => s.payments.create(o, arg(a, 0), m) },
      process: { run: (o, a, m) => s.payments.process(o, id(a), m) },
      complete: { inputs: [{ at: 1, schema: 'PaymentComplete' }], run: (o, a, m) => s.payments.complete(o, id(a), arg(a, 1), m) },
      fail: { inputs: [{ at: 1, schema: 'PaymentFail' }], run: (o, a, m) => s.payments.fail(o, id(a), arg(a, 1), m) },
      refund: { inputs: [{ at: 1, schema: 'PaymentRefundCreate' }], run: (o, a, m) => s.payments.refund(o, id(a), arg(a, 1), m) },
      dispute: { inputs: [{ at: 1, schema: 'PaymentDisputeCreate' }], run: (o, a, m) => s.payments.dispute(o, id(a), arg(a, 1), m) },
      resolveDispute: { inputs: [{ at: 1, schema: 'PaymentDisputeResolve' }], run: (o, a, m) => s.payments.resolveDispute(o, id(a), arg(a, 1), m) },
      apply: { inputs: [{ at: 1, schema: 'PaymentApply' }], run: (o, a, m) => s.payments.apply(o, id(a), arg(a, 1), m) },
    },
    payouts: {
      ...read((o, i) => s.payouts.get(o, i), (o, q) => s.payouts.list(o, q), 'PayoutListQuery'),
      record: { inputs: [{ at: 0, schema: 'PayoutRecord' }], run: (o, a, m, c) => s.payouts.record(o, c, arg(a, 0), m) },
    },
    creditNotes: {
      ...read((o, i) => s.creditNotes.get(o, i), (o, q) => s.creditNotes.list(o, q), 'CreditNoteListQuery'),
      create: { inputs: [{ at: 0, schema: 'CreditNoteCreate' }], run: (o, a, m) => s.creditNotes.create(o, arg(a, 0), m) },
    },
    inventory: {
      stockLevel: { run: (o, a) => s.inventory.inventory.stockLevel(o, id(a)) },
      adjust: { inputs: [{ at: 0, schema: 'InventoryAdjustmentCreate' }], run: (o, a, m) => s.inventory.adjustments.create(o, arg(a, 0), m) },
    },
    projects: {
      ...read((o, i) => s.projects.projects.get(o, i), (o, q) => s.projects.projects.list(o, q), 'ProjectListQuery'),
      getMilestone: { run: (o, a) => orUndefined(s.projects.milestones.get(o, id(a))) },
      listMilestones: { inputs: [{ at: 1, schema: 'MilestoneListQuery', query: true }], run: (o, a) => s.projects.milestones.list(o, id(a), arg(a, 1)) },
      completeMilestone: { inputs: [{ at: 1, schema: 'MilestoneComplete' }], run: (o, a, m) => s.projects.milestones.complete(o, id(a), arg(a, 1), m) },
    },
    journalEntries: read((o, i) => s.ledger.getEntry(o, i), (o, q) => s.ledger.listEntries(o, q), 'JournalEntryListQuery'),
    bankAccounts: {
      ...read((o, i) => s.banking.accounts.get(o, i), (o, q) => s.banking.accounts.list(o, q), 'BankAccountListQuery'),
      create: { inputs: [{ at: 0, schema: 'BankAccountCreate' }], run: (o, a, m) => s.banking.accounts.create(o, arg(a, 0), m) },
      update: { inputs: [{ at: 1, schema: 'BankAccountUpdate' }], run: (o, a, m) => s.banking.accounts.update(o, id(a), arg(a, 1), m) },
    },
    bankTransactions: {
      ...read((o, i) => s.banking.transactions.get(o, i), (o, q) => s.banking.transactions.list(o, q), 'BankTransactionListQuery'),
      importFeed: { inputs: [{ at: 1, schema: 'BankFeedImport' }], run: (o, a, m) => s.banking.imports.importFeed(o, id(a), arg(a, 1), m) },
      reconcile: { inputs: [{ at: 0, schema: 'BankReconciliationRun' }], run: (o, a, m) => s.banking.reconciliation.run(o, arg(a, 0), m) },
    },
  };
}

/** A plain copy: the validators fill defaults in place, and the connector's object must not change under it. */
function prepareInputs(method: Method, args: unknown[]): unknown[] {
  const out = args.map((a) => (a === undefined ? undefined : structuredClone(a)));
  for (const input of method.inputs ?? []) {
    out[input.at] ??= {};
    try {
      validateInput(input.schema, input.query ? 'query' : 'body', out[input.at]);
    } catch (error) {
      if (error instanceof AppError) throw new ConnectorEntityError(error.code, error.message, error.status, error.errors ?? []);
      throw error;
    }
  }
  return out;
}

/** The books of the core's services, behind each call's permissions, in each call's organization. */
export function createBooks(services: CoreServices): Books {
  const table = tableOf(services);
  return {
    async call(c) {
      assertAllowed(c.permissions, c.kind, c.method);
      const method = table[c.kind]?.[c.method];
      if (!method) throw new ConnectorEntityError('UNKNOWN_METHOD', `entities.${c.kind}.${c.method} does not exist`, 400);
      const meta: EventMetadata = { source: c.cause.source, userId: `connector:${c.connectorId}`, ...(c.cause.causationId ? { causationId: c.cause.causationId } : {}) };
      try {
        return await method.run(c.organizationId, prepareInputs(method, c.args), meta, c.connectorId);
      } catch (error) {
        if (error instanceof AppError) throw new ConnectorEntityError(error.code, error.message, error.status, error.errors ?? []);
        throw error;
      }
    },
  };
}
