import type { Payout, PayoutStatus } from '@uah/schemas';
import type { PayoutService } from '../../payments/payout-service.js';
import { runInTransaction } from '../../db/ambient.js';
import { readAllPages } from '../../http/paging.js';
import type { OpenItem } from './matcher.js';
import type { OpenItemSource } from './open-items.js';

/** Payouts a deposit may be: on their way, or PAID (posted) and not yet linked to a bank line. */
const OPEN: PayoutStatus[] = ['PENDING', 'IN_TRANSIT', 'PAID'];

/**
 * A payout as the bank shows it: one credit of its amount around its arrival date, its provider reference
 * in the text (banks often carry the processor's transfer id), and the processor (the connector) as party.
 */
const payoutItem = (p: Payout): OpenItem => ({
  kind: 'PAYOUT', id: p.id, direction: 'CREDIT', amount: p.amount, currency: p.currency, date: p.arrivalDate,
  references: [p.providerReference, p.id], party: p.connectorId.replace(/-/g, ' '),
  label: `Payout ${p.providerReference} (${p.connectorId}, ${p.status}, ${p.paymentIds.length} payment${p.paymentIds.length === 1 ? '' : 's'})`,
});

async function openPayouts(payouts: Pick<PayoutService, 'list'>, organizationId: string): Promise<Payout[]> {
  const out: Payout[] = [];
  for (const status of OPEN) out.push(...(await readAllPages((cursor) => payouts.list(organizationId, { limit: 100, status, ...(cursor ? { cursor } : {}) }))));
  return out;
}

/**
 * Credits matched to processor payouts (one Stripe payout = many charges minus fees), through the payouts
 * service. Settling one that is not PAID yet records it PAID on the bank line's date, in the line's
 * transaction: that posts it (Dr bank, Cr payment clearing), so clearing empties of the payments it settles.
 */
export function createPayoutOpenItemSource(deps: { payouts: Pick<PayoutService, 'list' | 'get' | 'record'> }): OpenItemSource {
  const { payouts } = deps;
  return {
    kind: 'PAYOUT',
    async list(organizationId, links) {
      const linked = await links.linked('payout');
      return (await openPayouts(payouts, organizationId)).filter((p) => !linked.has(p.id)).map(payoutItem);
    },
    async find(organizationId, id, trx) {
      const p = await payouts.get(organizationId, id, trx).catch(() => null);
      return p && OPEN.includes(p.status) ? payoutItem(p) : null;
    },
    async settle(trx, organizationId, item, line, meta) {
      const payout = await payouts.get(organizationId, item.id, trx);
      if (payout.status === 'PAID') return { kind: 'payout', id: payout.id, payout };
      // The payouts service opens its own transaction: inside this unit of work it is a savepoint of `trx`.
      const paid = await runInTransaction(trx, () => payouts.record(organizationId, payout.connectorId, {
        providerReference: payout.providerReference, status: 'PAID', amount: payout.amount, currency: payout.currency, arrivalDate: payout.arrivalDate,
        paidAt: `${line.date}T00:00:00.000Z`, ...(payout.exchangeRate ? { exchangeRate: payout.exchangeRate } : {}),
      }, meta));
      return { kind: 'payout', id: paid.id, payout: paid };
    },
  };
}
