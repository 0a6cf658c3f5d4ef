import type { Knex } from 'knex';
import type { Bill, BillCreate, BillListQuery, CurrencyCode, DocumentDryRun, EventMetadata, PurchaseLine, PurchaseLineInput } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput, PostingLineInput } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { BillInventory } from '../inventory/service.js';
import { addDays, todayUtc } from '../sales/dates.js';
import { resolveLines, taxAccounts, type LineDeps, type ResolvedLines } from './lines.js';
import { toBill } from './mappers.js';
import { BillModel } from './model.js';
import type { PurchaseOrderService, Receipt } from './purchase-order-service.js';
import type { VendorService } from './vendor-service.js';

export interface BillService {
  create(organizationId: string, input: BillCreate, meta: EventMetadata): Promise<Bill>;
  preview(organizationId: string, input: BillCreate, meta: EventMetadata): Promise<DocumentDryRun>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Bill>;
  /** The bills of the organization among `ids` (unknown ids left out), in id order; one query (reports). */
  getMany(organizationId: string, ids: string[]): Promise<Bill[]>;
  list(organizationId: string, query: BillListQuery): Promise<Page<Bill>>;
  /** Every bill with a balance to pay (OPEN or PARTIALLY_PAID), in id order; one query (bank reconciliation). */
  listOpen(organizationId: string): Promise<Bill[]>;
}

export interface BillDeps extends LineDeps {
  knex: Knex;
  events: EventStore;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  ledger: LineDeps['ledger'] & Pick<LedgerService, 'post' | 'preview'>;
  vendors: Pick<VendorService, 'requireActive'>;
  purchaseOrders: Pick<PurchaseOrderService, 'remainingLines' | 'receive' | 'checkReceipts'>;
  inventory: BillInventory;
}

interface BillPlan {
  row: Partial<BillModel> & { id: string; vendorId: string; billDate: string; lines: PurchaseLine[] };
  priced: ResolvedLines;
  entry: PostEntryInput | null;
}

/** Dr each line's account (net) and each tax account (tax), Cr payables with the total naming the bill and vendor. */
function billEntry(plan: Pick<BillPlan, 'row'>, taxAccountOf: Map<string, string>, currency: CurrencyCode): PostEntryInput | null {
  const { row } = plan;
  const total = row.lines.reduce((s, l) => s + l.total, 0);
  if (total === 0) return null;
  const debits = new Map<string, number>();
  const add = (id: string, amount: number) => amount > 0 && debits.set(id, (debits.get(id) ?? 0) + amount);
  for (const l of row.lines) {
    add(l.accountId, l.amount);
    if (l.taxRateId) add(taxAccountOf.get(l.taxRateId) ?? '', l.taxAmount);
  }
  const lines: PostingLineInput[] = [...debits].map(([id, amount]) => ({ account: { id }, direction: 'DEBIT', amount }));
  lines.push({ account: { key: 'payables' }, direction: 'CREDIT', amount: total, reference: { billId: row.id, vendorId: row.vendorId } });
  const memo = `Bill${row.vendorReference ? ` ${row.vendorReference}` : ''}`;
  return { date: row.billDate, currency, memo, lines, source: { type: 'bill', id: row.id } };
}

export function createBillService(deps: BillDeps): BillService {
  const { knex } = deps;

  async function lineInputs(organizationId: string, input: BillCreate, trx: Knex.Transaction): Promise<PurchaseLineInput[]> {
    if (!input.purchaseOrderId) {
      if (!input.lines) throw unprocessable('A bill without a purchase order needs lines.', [{ field: '/lines', in: 'body', message: 'is required without purchaseOrderId' }]);
      const i = input.lines.findIndex((l) => l.purchaseOrderLine !== undefined);
      if (i >= 0) throw unprocessable('purchaseOrderLine needs the bill to name its purchaseOrderId.', [{ field: `/lines/${i}/purchaseOrderLine`, in: 'body', message: 'needs purchaseOrderId' }]);
      return input.lines;
    }
    const lines = input.lines ?? (await deps.purchaseOrders.remainingLines(organizationId, input.purchaseOrderId, trx));
    if (lines.length === 0) throw unprocessable('The purchase order has nothing left to receive.', [{ field: '/purchaseOrderId', in: 'body', message: 'fully received' }]);
    return lines;
  }

  async function plan(trx: Knex.Transaction, organizationId: string, input: BillCreate, baseCurrency: CurrencyCode): Promise<BillPlan> {
    const vendor = await deps.vendors.requireActive(organizationId, input.vendorId, trx);
    if (vendor.currency !== baseCurrency) throw unprocessable(`Bills are recorded in the base currency ${baseCurrency}; vendor ${vendor.name} bills in ${vendor.currency}.`, [{ field: '/vendorId', in: 'body', message: 'vendor currency is not the base currency' }]);
    const inputs = await lineInputs(organizationId, input, trx);
    const priced = await resolveLines(deps, organizationId, inputs, trx);
    const lines = priced.lines.map((l, i) => ({ ...l, purchaseOrderLine: inputs[i]?.purchaseOrderLine ?? null }));
    const billDate = input.billDate ?? todayUtc();
    const dueDate = input.dueDate ?? addDays(billDate, vendor.paymentTermsDays);
    if (dueDate < billDate) throw unprocessable(`The due date ${dueDate} is before the bill date ${billDate}.`, [{ field: '/dueDate', in: 'body', message: 'before billDate' }]);
    const settled = priced.total === 0;
    const row = {
      id: newId('bill'), organizationId, vendorId: vendor.id, purchaseOrderId: input.purchaseOrderId ?? null, vendorReference: input.vendorReference ?? null,
      status: settled ? ('PAID' as const) : ('OPEN' as const), currency: baseCurrency, billDate, dueDate, lines, subtotal: priced.subtotal, taxTotal: priced.taxTotal,
      total: priced.total, amountPaid: 0, balance: priced.total, paidAt: settled ? new Date() : null, metadata: input.metadata ?? {},
    };
    return { row, priced, entry: billEntry({ row }, await taxAccounts(deps, organizationId, lines, trx), baseCurrency) };
  }

  /** What the bill receives against its purchase order's lines. */
  const receiptsOf = (lines: PurchaseLine[]): Receipt[] => lines.flatMap((l, i) => (l.purchaseOrderLine ? [{ line: l.purchaseOrderLine, quantity: l.quantity, field: `/lines/${i}/purchaseOrderLine` }] : []));

  const event = (bill: Bill) => ({ type: 'bill.received' as const, aggregateType: 'bill', aggregateId: bill.id, organizationId: bill.organizationId, data: { object: bill } });

  return {
    async create(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const { row, priced, entry } = await plan(trx, organizationId, input, baseCurrency);
        const journalEntry = entry ? await deps.ledger.post(trx, organizationId, entry, meta) : null;
        const saved = await BillModel.forOrganization(organizationId, trx).insertAndFetch({ ...row, journalEntryId: journalEntry?.id ?? null } as Partial<BillModel>);
        if (input.purchaseOrderId) await deps.purchaseOrders.receive(trx, organizationId, input.purchaseOrderId, row.vendorId, receiptsOf(row.lines));
        const stock = row.lines.filter((l) => l.tracksInventory && l.productId).map((l) => ({ product: priced.products.get(l.productId ?? '')!, quantity: l.quantity, value: l.amount }));
        await deps.inventory.receiveForBill(trx, organizationId, { id: row.id, date: row.billDate, lines: stock }, meta);
        const bill = toBill(saved);
        await deps.events.append(trx, [event(bill)], meta);
        return bill;
      });
    },

    async preview(organizationId, input, meta) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const { row, entry } = await plan(trx, organizationId, input, baseCurrency);
        if (input.purchaseOrderId) await deps.purchaseOrders.checkReceipts(trx, organizationId, input.purchaseOrderId, row.vendorId, receiptsOf(row.lines));
        const now = new Date();
        const bill = toBill({ ...row, journalEntryId: null, createdAt: now, updatedAt: now } as BillModel);
        return { object: 'dry_run', dryRun: true, document: bill, journalEntries: entry ? [await deps.ledger.preview(organizationId, entry, trx, meta)] : [], events: deps.events.preview([event(bill)], meta) };
      });
    },

    async get(organizationId, id, trx) {
      return toBill(await BillModel.findInOrganization(organizationId, id, 'bill', trx ?? knex));
    },

    async getMany(organizationId, ids) {
      if (ids.length === 0) return [];
      return (await BillModel.forOrganization(organizationId, knex).whereIn('id', ids).orderBy('id')).map(toBill);
    },

    async listOpen(organizationId) {
      return (await BillModel.forOrganization(organizationId, knex).whereIn('status', ['OPEN', 'PARTIALLY_PAID']).where('balance', '>', 0).orderBy('id')).map(toBill);
    },

    async list(organizationId, query) {
      const q = BillModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      if (query.vendorId) q.where('vendor_id', query.vendorId);
      return fetchPage(q, query, toBill);
    },
  };
}
