import type { Knex } from 'knex';
import type { Bill, BillPayment } from '@uah/schemas';
import type { OpenItem } from '../banking/matching/matcher.js';
import type { OpenItemSource } from '../banking/matching/open-items.js';
import type { BillPaymentService } from './bill-payment-service.js';
import type { BillService } from './bill-service.js';
import type { VendorService } from './vendor-service.js';

/**
 * What the purchasing context offers bank reconciliation for money out: open bills, which a bank debit pays
 * (a bill payment made in the reconciliation's transaction), and bill payments already made and not yet
 * reconciled, which a debit is only linked to. The banking context takes them as `extraSources`.
 */
export interface BillSourceDeps {
  bills: Pick<BillService, 'listOpen' | 'get'>;
  billPayments: Pick<BillPaymentService, 'list' | 'get' | 'payInTransaction'>;
  vendors: Pick<VendorService, 'get'>;
}

function vendorNames(vendors: BillSourceDeps['vendors'], organizationId: string, trx?: Knex.Transaction) {
  const names = new Map<string, Promise<string | null>>();
  return (id: string): Promise<string | null> => {
    let name = names.get(id);
    if (!name) names.set(id, (name = vendors.get(organizationId, id, trx).then((v) => v.name, () => null)));
    return name;
  };
}

/** Items of rows, one vendor name read at a time (inside a keyed request every query shares one connection). */
async function withNames<T>(rows: T[], vendorOf: (row: T) => string, name: (id: string) => Promise<string | null>, item: (row: T, vendor: string | null) => OpenItem): Promise<OpenItem[]> {
  const out: OpenItem[] = [];
  for (const row of rows) out.push(item(row, await name(vendorOf(row))));
  return out;
}

const isOpen = (bill: Bill): boolean => (bill.status === 'OPEN' || bill.status === 'PARTIALLY_PAID') && bill.balance > 0;

/** A bill as money expected out: its balance by its due date; the vendor's own number for it is what a transfer quotes. */
const billItem = (bill: Bill, vendor: string | null): OpenItem => ({
  kind: 'BILL', id: bill.id, direction: 'DEBIT', amount: bill.balance, currency: bill.currency, date: bill.dueDate,
  references: [bill.vendorReference ?? ''].filter(Boolean), party: vendor, label: `Bill ${bill.vendorReference ?? bill.id} (balance ${bill.balance})`,
});

/** A bill payment already made: booked on the account it was paid from, so only that account's bank lines see it. */
const paymentItem = (payment: BillPayment, vendor: string | null): OpenItem => ({
  kind: 'BILL_PAYMENT', id: payment.id, direction: 'DEBIT', amount: payment.amount, currency: payment.currency, date: payment.date,
  references: [payment.reference ?? '', payment.bill.vendorReference ?? ''].filter(Boolean), party: vendor,
  label: `Bill payment ${payment.reference ?? payment.id} of bill ${payment.bill.vendorReference ?? payment.billId}`, accountId: payment.paidFromAccountId,
});

async function allBillPayments(billPayments: BillSourceDeps['billPayments'], organizationId: string): Promise<BillPayment[]> {
  const out: BillPayment[] = [];
  let cursor: string | undefined;
  do {
    const page = await billPayments.list(organizationId, { limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export function createBillOpenItemSources(deps: BillSourceDeps): OpenItemSource[] {
  const { bills, billPayments } = deps;
  const open: OpenItemSource = {
    kind: 'BILL',
    async list(organizationId) {
      const name = vendorNames(deps.vendors, organizationId);
      return withNames(await bills.listOpen(organizationId), (b) => b.vendorId, name, billItem);
    },
    async find(organizationId, id, trx) {
      const bill = await bills.get(organizationId, id, trx).catch(() => null);
      // With the vendor's name, so that a confirmed suggestion keeps the score it was suggested with.
      return bill && isOpen(bill) ? billItem(bill, await vendorNames(deps.vendors, organizationId, trx)(bill.vendorId)) : null;
    },
    async settle(trx, organizationId, item, line, meta) {
      // The bank line caused the payment: its events name it, whoever asked for the match.
      const payment = await billPayments.payInTransaction(trx, organizationId, item.id, {
        amount: Math.abs(line.amount), date: line.date, paidFromAccountId: line.ledgerAccountId, reference: (line.reference || line.sourceId).slice(0, 100),
      }, { ...meta, causationId: line.id });
      return { kind: 'bill_payment', id: payment.id, billPayment: payment };
    },
  };
  const made: OpenItemSource = {
    kind: 'BILL_PAYMENT',
    async list(organizationId, links) {
      const name = vendorNames(deps.vendors, organizationId);
      const reconciled = await links.linked('bill_payment');
      const rows = (await allBillPayments(billPayments, organizationId)).filter((p) => !reconciled.has(p.id));
      return withNames(rows, (p) => p.vendorId, name, paymentItem);
    },
    async find(organizationId, id, trx) {
      const payment = await billPayments.get(organizationId, id, trx).catch(() => null);
      return payment ? paymentItem(payment, await vendorNames(deps.vendors, organizationId, trx)(payment.vendorId)) : null;
    },
    // Already posted: reconciling it only links the bank line (and moves the money between ledger accounts if need be).
    settle: async (trx, organizationId, item) => ({ kind: 'bill_payment', id: item.id, billPayment: await billPayments.get(organizationId, item.id, trx) }),
  };
  return [open, made];
}
