import type { Knex } from 'knex';
import type { EventMetadata, EventType, Payout, PayoutItem, PayoutListQuery, PayoutRecord, PayoutStatus } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, notFound } from '../http/errors.js';
import { decodeCursor, toPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { LedgerService } from '../ledger/service.js';
import { PayoutItemModel, PayoutModel } from './payout-model.js';
import { PaymentModel, PaymentRefundModel } from './model.js';
import { payoutEntry } from './postings.js';
import { dateOnly } from './mapper.js';
import { normaliseRate, utcDate } from './inputs.js';

export interface PayoutService {
  /**
   * Records a payout reported by `connectorId`, once per (organization, connector, provider reference):
   * a second call returns the payout, its status moved forward only, new items added. Reaching PAID posts
   * it (Dr bank, Dr fees, Cr payment clearing); emits payout.created, payout.paid and payout.failed.
   */
  record(organizationId: string, connectorId: string, input: PayoutRecord, meta: EventMetadata): Promise<Payout>;
  get(organizationId: string, id: string, trx?: Knex.Transaction): Promise<Payout>;
  list(organizationId: string, query: PayoutListQuery): Promise<Page<Payout>>;
}

export interface PayoutServiceDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  ledger: Pick<LedgerService, 'post'>;
}

/** How far along each status is: a status never moves to a lower rank (a late `in_transit` after `paid`). */
const RANK: Record<PayoutStatus, number> = { PENDING: 0, IN_TRANSIT: 1, PAID: 2, FAILED: 2, CANCELED: 2 };
const FINAL_EVENT: Partial<Record<PayoutStatus, EventType>> = { PAID: 'payout.paid', FAILED: 'payout.failed', CANCELED: 'payout.failed' };

const iso = (value: Date | string): string => new Date(value).toISOString();

export function toPayout(row: PayoutModel, items: PayoutItemModel[]): Payout {
  const sorted = [...items].sort((a, b) => a.position - b.position);
  return {
    id: row.id,
    object: 'payout',
    organizationId: row.organizationId,
    connectorId: row.connectorId,
    providerReference: row.providerReference,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    exchangeRate: row.exchangeRate,
    fees: row.fees,
    arrivalDate: dateOnly(row.arrivalDate),
    paidAt: row.paidAt === null ? null : iso(row.paidAt),
    failureReason: row.failureReason,
    description: row.description,
    journalEntryId: row.journalEntryId,
    items: sorted.map((i) => ({ kind: i.kind, paymentId: i.paymentId, refundId: i.refundId, amount: i.amount, providerReference: i.providerReference })),
    paymentIds: [...new Set(sorted.flatMap((i) => (i.paymentId === null ? [] : [i.paymentId])))],
    metadata: row.metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

async function load(db: Knex | Knex.Transaction, organizationId: string, id: string): Promise<Payout> {
  const row = await PayoutModel.forOrganization(organizationId, db).findById(id);
  if (!row) throw notFound('payout', id);
  return toPayout(row, await PayoutItemModel.forOrganization(organizationId, db).where('payoutId', id));
}

/** Every item's payment and refund must be the organization's (422 naming the item otherwise). */
async function checkItems(trx: Knex.Transaction, organizationId: string, items: PayoutItem[]): Promise<void> {
  const paymentIds = [...new Set(items.flatMap((i) => (i.paymentId ? [i.paymentId] : [])))];
  const refundIds = [...new Set(items.flatMap((i) => (i.refundId ? [i.refundId] : [])))];
  const payments = new Set((await PaymentModel.forOrganization(organizationId, trx).whereIn('id', paymentIds).select('id')).map((p) => p.id));
  const refunds = new Map((await PaymentRefundModel.forOrganization(organizationId, trx).whereIn('id', refundIds).select('id', 'paymentId')).map((r) => [r.id, r.paymentId]));
  items.forEach((item, i) => {
    const bad = (field: string, message: string): AppError => new AppError('UNPROCESSABLE', `Payout item ${i}: ${message}.`, { errors: [{ field: `/items/${i}/${field}`, in: 'body', message }] });
    if (!item.paymentId && ['PAYMENT', 'REFUND', 'DISPUTE'].includes(item.kind)) throw bad('paymentId', `a ${item.kind} item names its payment`);
    if (item.paymentId && !payments.has(item.paymentId)) throw bad('paymentId', 'no such payment in this organization');
    if (item.refundId && refunds.get(item.refundId) !== item.paymentId) throw bad('refundId', 'no such refund of that payment');
  });
}

export function createPayoutService(deps: PayoutServiceDeps): PayoutService {
  const { knex, events, ledger } = deps;

  async function emit(trx: Knex.Transaction, types: EventType[], organizationId: string, id: string, meta: EventMetadata, previous?: Record<string, unknown>): Promise<Payout> {
    const payout = await load(trx, organizationId, id);
    if (types.length > 0) {
      await events.append(trx, types.map((type) => ({ type, aggregateType: 'payout', aggregateId: id, organizationId, data: { object: payout, ...(previous ? { previousAttributes: previous } : {}) } })), meta);
    }
    return payout;
  }

  async function addItems(trx: Knex.Transaction, organizationId: string, payoutId: string, items: PayoutItem[]): Promise<void> {
    const existing = await PayoutItemModel.forOrganization(organizationId, trx).where('payoutId', payoutId).select('position', 'providerReference');
    const known = new Set(existing.map((e) => e.providerReference));
    // Items without a provider reference come with the first record only: nothing tells a repeat apart.
    const fresh = items.filter((i) => (i.providerReference ? !known.has(i.providerReference) : existing.length === 0));
    if (fresh.length === 0) return;
    await checkItems(trx, organizationId, fresh);
    let position = existing.reduce((max, e) => Math.max(max, e.position), -1);
    const rows = fresh.map((i) => ({ id: newId('poi'), organizationId, payoutId, position: ++position, kind: i.kind, paymentId: i.paymentId ?? null, refundId: i.refundId ?? null, amount: i.amount, providerReference: i.providerReference ?? null }));
    for (let i = 0; i < rows.length; i += 500) await PayoutItemModel.forOrganization(organizationId, trx).insert(rows.slice(i, i + 500) as Array<Partial<PayoutItemModel>>);
  }

  /** Moves a locked payout to `status` (forward only); PAID posts it. Returns the events to emit. */
  async function advance(trx: Knex.Transaction, row: PayoutModel, input: PayoutRecord, meta: EventMetadata): Promise<EventType[]> {
    const to = input.status;
    if (RANK[to] <= RANK[row.status]) return [];
    const patch: Partial<PayoutModel> = { status: to, updatedAt: new Date(), version: row.version + 1 };
    if (to === 'PAID') {
      const paidAt = input.paidAt ? new Date(input.paidAt) : new Date(`${dateOnly(row.arrivalDate)}T00:00:00.000Z`);
      const base = await deps.organizations.baseCurrency(row.organizationId);
      const entry = payoutEntry(
        { payoutId: row.id, date: utcDate(paidAt), memo: `Payout ${row.providerReference} (${row.connectorId})`, amount: row.amount, fees: row.fees },
        { currency: row.currency, exchangeRate: row.exchangeRate, baseCurrency: base },
      );
      patch.journalEntryId = (await ledger.post(trx, row.organizationId, entry, meta)).id;
      patch.paidAt = paidAt;
    } else if (to === 'FAILED' || to === 'CANCELED') {
      patch.failureReason = input.failureReason ?? (to === 'FAILED' ? 'Payout failed' : 'Payout canceled');
    }
    await PayoutModel.forOrganization(row.organizationId, trx).patch(patch).where('id', row.id);
    const event = FINAL_EVENT[to];
    return event ? [event] : [];
  }

  async function recordIn(trx: Knex.Transaction, organizationId: string, connectorId: string, input: PayoutRecord, meta: EventMetadata): Promise<Payout> {
    const base = await deps.organizations.baseCurrency(organizationId);
    const id = newId('pout');
    const inserted = await trx('payouts')
      .insert({
        id, organizationId, connectorId, providerReference: input.providerReference, status: 'PENDING', amount: input.amount, currency: input.currency,
        exchangeRate: normaliseRate(input.exchangeRate, input.currency, base, '/exchangeRate'), fees: input.fees ?? 0, arrivalDate: input.arrivalDate,
        description: input.description ?? null, metadata: JSON.stringify(input.metadata ?? {}),
      })
      .onConflict(['organization_id', 'connector_id', 'provider_reference']).ignore()
      .returning('id');
    const created = inserted.length > 0;
    const row = await PayoutModel.forOrganization(organizationId, trx).where({ connectorId, providerReference: input.providerReference }).forUpdate().first();
    if (!row) throw new Error(`payout ${input.providerReference} vanished after its insert`);
    if (!created && (row.amount !== input.amount || row.currency !== input.currency)) {
      throw new AppError('CONFLICT', `Payout ${input.providerReference} was recorded as ${row.amount} ${row.currency}, not ${input.amount} ${input.currency}.`);
    }
    await addItems(trx, organizationId, row.id, input.items ?? []);
    const previous = { status: row.status };
    const types = [...(created ? (['payout.created'] as EventType[]) : []), ...(await advance(trx, row, input, meta))];
    return emit(trx, types, organizationId, row.id, meta, created ? undefined : previous);
  }

  return {
    record: (organizationId, connectorId, input, meta) => knex.transaction((trx) => recordIn(trx, organizationId, connectorId, input, meta)),

    get: (organizationId, id, trx) => load(trx ?? knex, organizationId, id),

    async list(organizationId, query) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor);
      const q = PayoutModel.forOrganization(organizationId, knex).orderBy('payouts.id').limit(limit + 1);
      if (after) q.where('payouts.id', '>', after);
      if (query.connectorId) q.where('payouts.connectorId', query.connectorId);
      if (query.providerReference) q.where('payouts.providerReference', query.providerReference);
      if (query.status) q.where('payouts.status', query.status);
      if (query.currency) q.where('payouts.currency', query.currency);
      if (query.amount !== undefined) q.where('payouts.amount', query.amount);
      if (query.arrivalFrom) q.where('payouts.arrivalDate', '>=', query.arrivalFrom);
      if (query.arrivalTo) q.where('payouts.arrivalDate', '<=', query.arrivalTo);
      if (query.paymentId) {
        q.whereExists(PayoutItemModel.forOrganization(organizationId, knex).select(1).whereColumn('payout_items.payout_id', 'payouts.id').where('payout_items.payment_id', query.paymentId));
      }
      const page = toPage(await q, limit, (r) => r.id, (r) => r);
      const ids = page.data.map((r) => r.id);
      const items = ids.length === 0 ? [] : await PayoutItemModel.forOrganization(organizationId, knex).whereIn('payoutId', ids);
      return { data: page.data.map((row) => toPayout(row, items.filter((i) => i.payoutId === row.id))), nextCursor: page.nextCursor };
    },
  };
}
