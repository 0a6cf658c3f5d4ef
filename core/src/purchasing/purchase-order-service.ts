import type { Knex } from 'knex';
import type { EventMetadata, PurchaseLineInput, PurchaseOrder, PurchaseOrderCreate, PurchaseOrderListQuery } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import { formatDecimal, parseDecimal } from '../shared/money.js';
import { todayUtc } from '../sales/dates.js';
import { resolveLines, type LineDeps } from './lines.js';
import { invalidTransition, toPurchaseOrder } from './mappers.js';
import { PurchaseOrderModel } from './model.js';
import type { VendorService } from './vendor-service.js';

const QTY = 4;

export interface PurchaseOrderService {
  create(organizationId: string, input: PurchaseOrderCreate, meta: EventMetadata): Promise<PurchaseOrder>;
  get(organizationId: string, id: string): Promise<PurchaseOrder>;
  list(organizationId: string, query: PurchaseOrderListQuery): Promise<Page<PurchaseOrder>>;
  /** DRAFT → SENT. */
  send(organizationId: string, id: string): Promise<PurchaseOrder>;
  /** Any open order → CLOSED: nothing more is received against it. */
  close(organizationId: string, id: string): Promise<PurchaseOrder>;
  /** The order's unreceived quantities as bill lines (a bill from the order without lines of its own). */
  remainingLines(organizationId: string, id: string, trx: Knex.Transaction): Promise<PurchaseLineInput[]>;
  /**
   * Receives quantities against the order's lines in the bill's transaction: SENT or PARTIALLY_RECEIVED only,
   * never more than a line has left (422 BILL_EXCEEDS_ORDER); the order becomes PARTIALLY_RECEIVED or RECEIVED.
   */
  receive(trx: Knex.Transaction, organizationId: string, id: string, vendorId: string, receipts: Receipt[]): Promise<PurchaseOrder>;
  /** The checks of `receive` without the write (dry runs). */
  checkReceipts(trx: Knex.Transaction, organizationId: string, id: string, vendorId: string, receipts: Receipt[]): Promise<void>;
}

export interface Receipt {
  line: number;
  quantity: string;
  /** The body field to name when the receipt is refused. */
  field: string;
}

const OPEN = ['SENT', 'PARTIALLY_RECEIVED'] as const;

async function takeNumber(trx: Knex.Transaction, organizationId: string): Promise<string> {
  const result = await trx.raw<{ rows: Array<{ n: string | number }> }>(
    `INSERT INTO purchase_order_counters (organization_id, next_number) VALUES (?, 2)
     ON CONFLICT (organization_id) DO UPDATE SET next_number = purchase_order_counters.next_number + 1
     RETURNING next_number - 1 AS n`,
    [organizationId],
  );
  return `PO-${String(result.rows[0]?.n ?? 1).padStart(5, '0')}`;
}

export function createPurchaseOrderService(deps: LineDeps & { knex: Knex; events: EventStore; vendors: Pick<VendorService, 'requireActive'> }): PurchaseOrderService {
  const { knex } = deps;

  async function lock(organizationId: string, id: string, trx: Knex.Transaction): Promise<PurchaseOrderModel> {
    return PurchaseOrderModel.findInOrganization(organizationId, id, 'purchase order', trx, { forUpdate: true });
  }

  async function move(organizationId: string, id: string, from: readonly PurchaseOrder['status'][], patch: Partial<PurchaseOrderModel>): Promise<PurchaseOrder> {
    return knex.transaction(async (trx) => {
      const row = await lock(organizationId, id, trx);
      if (!from.includes(row.status)) throw invalidTransition('purchase order', row.status, [...from]);
      return toPurchaseOrder(await PurchaseOrderModel.forOrganization(organizationId, trx).patchAndFetchById(id, { ...patch, updatedAt: new Date() }));
    });
  }

  return {
    async create(organizationId, input, meta) {
      return knex.transaction(async (trx) => {
        const vendor = await deps.vendors.requireActive(organizationId, input.vendorId, trx);
        if (input.lines.some((l) => l.purchaseOrderLine !== undefined)) throw unprocessable('purchaseOrderLine belongs on bill lines, not on an order.', [{ field: '/lines', in: 'body', message: 'purchaseOrderLine is for bills' }]);
        const priced = await resolveLines(deps, organizationId, input.lines, trx);
        const orderDate = input.orderDate ?? todayUtc();
        if (input.expectedDate && input.expectedDate < orderDate) throw unprocessable('expectedDate is before orderDate.', [{ field: '/expectedDate', in: 'body', message: 'before orderDate' }]);
        const row = await PurchaseOrderModel.forOrganization(organizationId, trx).insertAndFetch({
          id: newId('po'), organizationId, number: await takeNumber(trx, organizationId), vendorId: vendor.id, status: 'DRAFT', currency: vendor.currency,
          orderDate, expectedDate: input.expectedDate ?? null, lines: priced.lines.map((l) => ({ ...l, quantityReceived: '0' })),
          subtotal: priced.subtotal, taxTotal: priced.taxTotal, total: priced.total, notes: input.notes ?? null, metadata: input.metadata ?? {},
        } as Partial<PurchaseOrderModel>);
        const order = toPurchaseOrder(row);
        await deps.events.append(trx, [{ type: 'purchase_order.created', aggregateType: 'purchase_order', aggregateId: order.id, organizationId, data: { object: order } }], meta);
        return order;
      });
    },

    async get(organizationId, id) {
      return toPurchaseOrder(await PurchaseOrderModel.findInOrganization(organizationId, id, 'purchase order', knex));
    },

    async list(organizationId, query) {
      const q = PurchaseOrderModel.forOrganization(organizationId, knex);
      if (query.status) q.where('status', query.status);
      if (query.vendorId) q.where('vendor_id', query.vendorId);
      return fetchPage(q, query, toPurchaseOrder);
    },

    send: (organizationId, id) => move(organizationId, id, ['DRAFT'], { status: 'SENT', sentAt: new Date() }),
    close: (organizationId, id) => move(organizationId, id, ['DRAFT', 'SENT', 'PARTIALLY_RECEIVED', 'RECEIVED'], { status: 'CLOSED', closedAt: new Date() }),

    async remainingLines(organizationId, id, trx) {
      const row = await PurchaseOrderModel.findInOrganization(organizationId, id, 'purchase order', trx);
      return row.lines.flatMap((l) => {
        const left = parseDecimal(l.quantity, QTY) - parseDecimal(l.quantityReceived ?? '0', QTY);
        if (left <= 0n) return [];
        return [{ ...(l.productId ? { productId: l.productId } : { accountId: l.accountId }), description: l.description, quantity: formatDecimal(left, QTY), unitCost: l.unitCost, ...(l.taxRateId ? { taxRateId: l.taxRateId } : {}), purchaseOrderLine: l.lineNo }];
      });
    },

    async receive(trx, organizationId, id, vendorId, receipts) {
      const row = await lock(organizationId, id, trx);
      const { lines, status } = planReceipt(row, vendorId, receipts);
      const patched = await PurchaseOrderModel.forOrganization(organizationId, trx).patchAndFetchById(id, { lines, status, updatedAt: new Date() });
      return toPurchaseOrder(patched);
    },

    async checkReceipts(trx, organizationId, id, vendorId, receipts) {
      planReceipt(await PurchaseOrderModel.findInOrganization(organizationId, id, 'purchase order', trx), vendorId, receipts);
    },
  };
}

/** The order's lines and status after receiving `receipts`; refuses another vendor, a closed or draft order, or too much. */
function planReceipt(row: PurchaseOrderModel, vendorId: string, receipts: Receipt[]): { lines: PurchaseOrderModel['lines']; status: PurchaseOrder['status'] } {
  if (row.vendorId !== vendorId) throw unprocessable(`Purchase order ${row.number} is for another vendor.`, [{ field: '/purchaseOrderId', in: 'body', message: 'belongs to another vendor' }]);
  if (!(OPEN as readonly string[]).includes(row.status)) throw invalidTransition('purchase order', row.status, [...OPEN]);
  const lines = row.lines.map((l) => ({ ...l }));
  for (const r of receipts) {
    const line = lines[r.line - 1];
    if (!line) throw unprocessable(`Purchase order ${row.number} has no line ${r.line}.`, [{ field: r.field, in: 'body', message: 'no such order line' }]);
    const received = parseDecimal(line.quantityReceived ?? '0', QTY) + parseDecimal(r.quantity, QTY);
    if (received > parseDecimal(line.quantity, QTY)) {
      throw new AppError('BILL_EXCEEDS_ORDER', `Line ${r.line} of ${row.number} ordered ${line.quantity} and has ${line.quantityReceived ?? '0'} received; ${r.quantity} more is too much.`, { errors: [{ field: r.field, in: 'body', message: 'more than the order line has left' }] });
    }
    line.quantityReceived = formatDecimal(received, QTY);
  }
  const all = lines.every((l) => parseDecimal(l.quantityReceived ?? '0', QTY) >= parseDecimal(l.quantity, QTY));
  return { lines, status: all ? 'RECEIVED' : 'PARTIALLY_RECEIVED' };
}
