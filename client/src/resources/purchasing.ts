import type {
  Bill, BillCreate, BillListQuery, BillPay, BillPayment, DocumentDryRun, Expense, ExpenseCreate, ExpenseListQuery, PurchaseOrder, PurchaseOrderCreate,
  PurchaseOrderListQuery, Vendor, VendorCreate, VendorListQuery,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunAction, DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

export interface VendorsResource {
  create(body: VendorCreate, options?: RequestOptions): Promise<Vendor>;
  get(id: string, options?: RequestOptions): Promise<Vendor>;
  list(query?: VendorListQuery, options?: RequestOptions): Promise<Page<Vendor>>;
  iterate(query?: Omit<VendorListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Vendor>;
}

export interface PurchaseOrdersResource {
  create(body: PurchaseOrderCreate, options?: RequestOptions): Promise<PurchaseOrder>;
  get(id: string, options?: RequestOptions): Promise<PurchaseOrder>;
  list(query?: PurchaseOrderListQuery, options?: RequestOptions): Promise<Page<PurchaseOrder>>;
  iterate(query?: Omit<PurchaseOrderListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<PurchaseOrder>;
  /** DRAFT → SENT: bills can receive against it. */
  send(id: string, options?: RequestOptions): Promise<PurchaseOrder>;
  close(id: string, options?: RequestOptions): Promise<PurchaseOrder>;
}

export interface BillsResource {
  /** Records a bill (Dr expense or inventory, Cr payables); `{ dryRun: true }` answers a `dry_run` and writes nothing. */
  create: DryRunWrite<BillCreate, Bill, DocumentDryRun>;
  get(id: string, options?: RequestOptions): Promise<Bill>;
  list(query?: BillListQuery, options?: RequestOptions): Promise<Page<Bill>>;
  iterate(query?: Omit<BillListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Bill>;
  /** Pays the balance, or `amount` of it: Dr payables, Cr bank. */
  pay: DryRunAction<BillPay, BillPayment, DocumentDryRun>;
}

export interface ExpensesResource {
  create: DryRunWrite<ExpenseCreate, Expense, DocumentDryRun>;
  get(id: string, options?: RequestOptions): Promise<Expense>;
  list(query?: ExpenseListQuery, options?: RequestOptions): Promise<Page<Expense>>;
  iterate(query?: Omit<ExpenseListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<Expense>;
}

export function createVendorsResource(c: ResourceContext): VendorsResource {
  const base = (): string => `${c.org()}/vendors`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
  };
}

export function createPurchaseOrdersResource(c: ResourceContext): PurchaseOrdersResource {
  const base = (): string => `${c.org()}/purchase-orders`;
  return {
    create: (body, o) => c.post(base(), body, o),
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    send: (id, o) => c.post(`${base()}/${c.id(id)}/send`, undefined, o),
    close: (id, o) => c.post(`${base()}/${c.id(id)}/close`, undefined, o),
  };
}

export function createBillsResource(c: ResourceContext): BillsResource {
  const base = (): string => `${c.org()}/bills`;
  return {
    create: ((body: BillCreate, o?: DryRunOptions) => c.post(base(), body, o)) as BillsResource['create'],
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    pay: ((id: string, body: BillPay, o?: DryRunOptions) => c.post(`${base()}/${c.id(id)}/pay`, body, o)) as BillsResource['pay'],
  };
}

export function createExpensesResource(c: ResourceContext): ExpensesResource {
  const base = (): string => `${c.org()}/expenses`;
  return {
    create: ((body: ExpenseCreate, o?: DryRunOptions) => c.post(base(), body, o)) as ExpensesResource['create'],
    get: (id, o) => c.get(`${base()}/${c.id(id)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
  };
}
