import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { BankReconciliationResult, BankReconciliationRun, BankTransaction, BankTransactionMatch, EventMetadata, Payout } from '@uah/schemas';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { PaymentService } from '../payments/service.js';
import { toBankTransaction, dayOf } from './mappers.js';
import { BankAccountModel, BankTransactionModel, type StoredSuggestion } from './models.js';
import { candidatesFor, DEFAULT_MATCH_OPTIONS, indexItems, matchLines, type BankLine, type OpenItem, type Scored } from './matching/matcher.js';
import { checkAmount, manualTarget } from './matching/manual-target.js';
import type { OpenItemSource, Settlement, SettlementLinks, SettlingLine } from './matching/open-items.js';

export interface ReconciliationService {
  run(organizationId: string, input: BankReconciliationRun, meta: EventMetadata): Promise<BankReconciliationResult>;
  match(organizationId: string, id: string, input: BankTransactionMatch, meta: EventMetadata): Promise<BankTransaction>;
  unmatch(organizationId: string, id: string, meta: EventMetadata): Promise<BankTransaction>;
}

export interface ReconciliationDeps {
  knex: Knex;
  events: EventStore;
  ledger: Pick<LedgerService, 'post' | 'reverse' | 'accountByKey'>;
  sources: OpenItemSource[];
  /** Read when a payout is reconciled, to record payment.reconciled on each of its payments. */
  payments: Pick<PaymentService, 'get'>;
}

const lineOf = (row: BankTransactionModel, accounts?: readonly string[]): BankLine => ({
  id: row.id, amount: Number(row.amount), currency: row.currency, date: dayOf(row.date), text: [row.description, row.counterparty ?? '', row.reference ?? ''].join(' '), ...(accounts ? { accounts } : {}),
});
const settlingOf = (row: BankTransactionModel, ledgerAccountId: string): SettlingLine => ({
  id: row.id, amount: Number(row.amount), currency: row.currency, date: dayOf(row.date), description: row.description, reference: row.reference, sourceId: row.sourceId, ledgerAccountId,
});
const WHAT: Record<Settlement['kind'], string> = { payment: 'payment', bill_payment: 'bill payment', payout: 'payout' };
/** The column of a bank transaction that links it to a settlement of each kind. */
const COLUMN = { payment: 'paymentId', bill_payment: 'billPaymentId', payout: 'payoutId' } as const;

/** Items that are settlements already, and may be linked to one bank line only: the kind of link each is. */
const LINKED: Partial<Record<OpenItem['kind'], Settlement['kind']>> = { PAYMENT: 'payment', BILL_PAYMENT: 'bill_payment', PAYOUT: 'payout' };
/** The link columns of a line settled by `settlement`: one set, the other cleared. */
const linkOf = (settlement: Settlement): Pick<BankTransactionModel, 'paymentId' | 'billPaymentId' | 'payoutId'> => ({
  paymentId: settlement.kind === 'payment' ? settlement.id : null, billPaymentId: settlement.kind === 'bill_payment' ? settlement.id : null, payoutId: settlement.kind === 'payout' ? settlement.id : null,
});
/** The payments a settlement takes in: the payment, or each payment of the payout. */
const paymentsOf = (settlement: Settlement): string[] => (settlement.kind === 'payment' ? [settlement.id] : settlement.kind === 'payout' ? settlement.payout.paymentIds : []);
/** The ledger account a settlement booked the line's money on: payments and payouts the chart's Bank account, a bill payment the account it was paid from. */
const bookedOn = (settlement: Settlement, bankId: string): string => (settlement.kind === 'bill_payment' ? settlement.billPayment.paidFromAccountId : bankId);
const rateOf = (settlement: Settlement): string | null => (settlement.kind === 'payment' ? settlement.payment.exchangeRate : settlement.kind === 'payout' ? settlement.payout.exchangeRate : null);
const suggestionOf = (s: Scored): StoredSuggestion => ({ kind: s.item.kind, id: s.item.id, score: s.score, amount: s.item.amount, currency: s.item.currency as StoredSuggestion['currency'], date: s.item.date, label: s.item.label });

export function createReconciliationService(deps: ReconciliationDeps): ReconciliationService {
  const { knex, events, ledger, sources } = deps;
  const sourceOf = (kind: string): OpenItemSource => {
    const source = sources.find((s) => s.kind === kind);
    if (!source) throw new Error(`no open item source ${kind}`);
    return source;
  };

  /**
   * Settles `item` with the locked, unmatched line through its source: a payment (credits, booked on the
   * chart's Bank account) or a bill payment (debits, paid from the bank account's ledger account, or an
   * existing one paid from the chart's Bank account). When the settlement booked the money on another
   * ledger account than the bank account's own, a transfer between the two follows it. The line is marked
   * MATCHED, linked to the settlement; a payment records payment.reconciled (a bill payment made here
   * recorded bill.paid, caused by the line).
   */
  async function settle(trx: Knex.Transaction, row: BankTransactionModel, item: OpenItem, method: 'AUTO' | 'MANUAL', confidence: number | null, meta: EventMetadata): Promise<BankTransaction> {
    const organizationId = row.organizationId;
    const account = await BankAccountModel.findInOrganization(organizationId, row.bankAccountId, 'bank account', trx);
    const bank = await ledger.accountByKey(organizationId, 'bank', trx);
    const settlement = await sourceOf(item.kind).settle(trx, organizationId, item, settlingOf(row, account.ledgerAccountId), meta);
    const booked = bookedOn(settlement, bank.id);
    if (booked !== account.ledgerAccountId && booked !== bank.id) {
      throw unprocessable(`Bill payment ${settlement.id} was paid from another account than bank account ${account.id}'s ledger account or the chart's Bank account.`, [{ field: '/billPaymentId', in: 'body', message: 'paid from another account' }]);
    }
    const transferEntryId = booked === account.ledgerAccountId ? null : await transfer(trx, row, account.ledgerAccountId, booked, settlement, meta);
    const updated = await BankTransactionModel.forOrganization(organizationId, trx).patchAndFetchById(row.id, {
      status: 'MATCHED', ...linkOf(settlement), matchMethod: method, matchConfidence: confidence, matchedAt: new Date(), transferEntryId, suggestions: JSON.stringify([]) as unknown as StoredSuggestion[], updatedAt: new Date(),
    }).catch((error: unknown) => {
      // Two lines reconciled with one settlement at once: the unique index lets only the first commit.
      throw error instanceof UniqueViolationError ? new AppError('CONFLICT', `The ${WHAT[settlement.kind]} ${settlement.id} is reconciled with another bank transaction.`) : error;
    });
    const transaction = toBankTransaction(updated, paymentsOf(settlement));
    const reconciliation = { bankTransactionId: row.id, bankAccountId: row.bankAccountId, method, confidence, itemKind: item.kind, itemId: item.id, transferEntryId };
    if (settlement.kind === 'payment') {
      await events.append(trx, [{ type: 'payment.reconciled', aggregateType: 'payment', aggregateId: settlement.id, organizationId, data: { object: { ...settlement.payment, reconciliation } } }], meta);
    }
    if (settlement.kind === 'payout') await recordPayoutReconciled(trx, settlement.payout, { ...reconciliation, payoutId: settlement.id }, meta);
    return transaction;
  }

  /** Moves the line's money between the ledger account the settlement booked it on and the bank account's own: in for credits, out for debits. */
  async function transfer(trx: Knex.Transaction, row: BankTransactionModel, own: string, booked: string, settlement: Settlement, meta: EventMetadata): Promise<string> {
    const amount = Number(row.amount);
    const [debit, credit] = amount >= 0 ? [own, booked] : [booked, own];
    const exchangeRate = rateOf(settlement);
    const entry = await ledger.post(trx, row.organizationId, {
      date: dayOf(row.date), currency: row.currency, memo: `Bank line ${row.sourceId} reconciled with ${WHAT[settlement.kind]} ${settlement.id}`, source: { type: 'bank_transaction', id: row.id },
      ...(exchangeRate ? { exchangeRate } : {}),
      lines: [{ account: { id: debit }, direction: 'DEBIT', amount: Math.abs(amount) }, { account: { id: credit }, direction: 'CREDIT', amount: Math.abs(amount) }],
    }, meta);
    return entry.id;
  }

  /**
   * A deposit reconciled with a payout: payout.reconciled on the payout, and payment.reconciled on each of
   * its payments (naming the payout), so the match is seen from the bank line, the payout and every payment.
   */
  async function recordPayoutReconciled(trx: Knex.Transaction, payout: Payout, reconciliation: Record<string, unknown>, meta: EventMetadata): Promise<void> {
    const organizationId = payout.organizationId;
    const payments = [];
    for (const id of payout.paymentIds) payments.push(await deps.payments.get(organizationId, id, trx));
    await events.append(trx, [
      { type: 'payout.reconciled', aggregateType: 'payout', aggregateId: payout.id, organizationId, data: { object: { ...payout, reconciliation } } },
      ...payments.map((payment) => ({ type: 'payment.reconciled' as const, aggregateType: 'payment', aggregateId: payment.id, organizationId, data: { object: { ...payment, reconciliation } } })),
    ], meta);
  }

  /** The settlements linked to a bank line of the organization, read once per kind. */
  function linksOf(organizationId: string): SettlementLinks {
    const read = new Map<Settlement['kind'], Promise<Set<string>>>();
    return {
      linked(kind) {
        let ids = read.get(kind);
        if (!ids) {
          const column = COLUMN[kind];
          read.set(kind, (ids = BankTransactionModel.forOrganization(organizationId, knex).whereNotNull(column).select(column).then((rows) => new Set(rows.map((r) => r[column] ?? '')))));
        }
        return ids;
      },
    };
  }

  /** The ledger accounts each bank account's lines may have been booked on: its own and the chart's Bank account. */
  async function ledgerAccountsOf(organizationId: string, trx?: Knex.Transaction): Promise<Map<string, readonly string[]>> {
    const bank = await ledger.accountByKey(organizationId, 'bank', trx);
    const accounts = await BankAccountModel.forOrganization(organizationId, trx ?? knex).select('id', 'ledgerAccountId');
    return new Map(accounts.map((a) => [a.id, [...new Set([a.ledgerAccountId, bank.id])]]));
  }

  async function lockUnmatched(trx: Knex.Transaction, organizationId: string, id: string): Promise<BankTransactionModel> {
    const row = await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx, { forUpdate: true });
    if (row.status !== 'UNMATCHED') throw new AppError('INVALID_STATE_TRANSITION', `Bank transaction ${id} is MATCHED already (${row.paymentId ? `payment ${row.paymentId}` : row.payoutId ? `payout ${row.payoutId}` : `bill payment ${row.billPaymentId ?? ''}`}); unmatch it first.`);
    return row;
  }

  async function saveSuggestions(organizationId: string, rows: Array<{ id: string; suggestions: StoredSuggestion[] }>): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await knex.raw(`UPDATE bank_transactions AS t SET suggestions = v.s::jsonb, updated_at = now() FROM (VALUES ${chunk.map(() => '(?, ?)').join(', ')}) AS v(id, s)
        WHERE t.id = v.id AND t.organization_id = ? AND t.status = 'UNMATCHED'`, [...chunk.flatMap((r) => [r.id, JSON.stringify(r.suggestions)]), organizationId]);
    }
  }

  return {
    async run(organizationId, input, meta) {
      const query = BankTransactionModel.forOrganization(organizationId, knex).where('status', 'UNMATCHED');
      if (input.bankAccountId) query.where('bankAccountId', (await BankAccountModel.findInOrganization(organizationId, input.bankAccountId, 'bank account', knex)).id);
      const rows = await query.orderBy('id');
      const links = linksOf(organizationId);
      // One source after the other: inside a keyed request they all query through its one connection.
      const items: OpenItem[] = [];
      for (const source of sources) items.push(...(await source.list(organizationId, links)));
      const options = { threshold: input.threshold ?? DEFAULT_MATCH_OPTIONS.threshold, windowDays: input.dateWindowDays ?? DEFAULT_MATCH_OPTIONS.windowDays };
      const ledgerAccounts = await ledgerAccountsOf(organizationId);
      const { matches, suggestions } = matchLines(rows.map((r) => lineOf(r, ledgerAccounts.get(r.bankAccountId))), items, options);
      const done: BankReconciliationResult['matches'] = [];
      if (!input.dryRun) {
        for (const m of matches) {
          // One transaction per match: a match that fails (a locked period, an invoice paid meanwhile) leaves the others standing.
          const result = await knex.transaction(async (trx) => settle(trx, await lockUnmatched(trx, organizationId, m.line.id), m.item, 'AUTO', m.score, meta)).catch((error: unknown) => {
            if (error instanceof AppError) return null;
            throw error;
          });
          if (result) done.push({ bankTransactionId: m.line.id, kind: m.item.kind, itemId: m.item.id, paymentId: result.match?.paymentId ?? null, billPaymentId: result.match?.billPaymentId ?? null, payoutId: result.match?.payoutId ?? null, confidence: m.score });
          else suggestions.set(m.line.id, [{ item: m.item, score: m.score }]);
        }
        const settled = new Set(done.map((d) => d.bankTransactionId));
        // An item this run settled is no suggestion for another line any more.
        const taken = new Set(done.map((d) => d.itemId));
        for (const [lineId, list] of suggestions) suggestions.set(lineId, list.filter((s) => !taken.has(s.item.id)));
        // Rows whose suggestions stay empty are not rewritten: most noise lines have none, before or after.
        const changed = rows.filter((r) => !settled.has(r.id) && ((suggestions.get(r.id)?.length ?? 0) > 0 || (Array.isArray(r.suggestions) && r.suggestions.length > 0)));
        await saveSuggestions(organizationId, changed.map((r) => ({ id: r.id, suggestions: (suggestions.get(r.id) ?? []).map(suggestionOf) })));
      } else {
        done.push(...matches.map((m) => ({ bankTransactionId: m.line.id, kind: m.item.kind, itemId: m.item.id, paymentId: null, billPaymentId: null, payoutId: null, confidence: m.score })));
      }
      const matchedIds = new Set(done.map((d) => d.bankTransactionId));
      const suggested = rows.filter((r) => !matchedIds.has(r.id) && (suggestions.get(r.id)?.length ?? 0) > 0).length;
      return { object: 'bank_reconciliation_result', considered: rows.length, matched: done.length, suggested, unmatched: rows.length - done.length - suggested, dryRun: !!input.dryRun, matches: done };
    },

    async match(organizationId, id, input, meta) {
      return knex.transaction(async (trx) => {
        const row = await lockUnmatched(trx, organizationId, id);
        const { target, id: itemId } = manualTarget(input, { id, amount: Number(row.amount) });
        const field = `/${target.field}`;
        let item: OpenItem | null = null;
        for (const kind of target.kinds) item ??= (await sources.find((s) => s.kind === kind)?.find(organizationId, itemId, trx)) ?? null;
        if (!item) throw unprocessable(`No open ${target.what} ${itemId} in this organization.`, [{ field, in: 'body', message: 'not open' }]);
        if (item.currency !== row.currency) throw unprocessable(`The transaction is in ${row.currency}, ${itemId} in ${item.currency}.`, [{ field, in: 'body', message: 'currency differs' }]);
        checkAmount(target, { amount: Number(row.amount) }, item);
        const linked = LINKED[item.kind];
        if (linked && (await BankTransactionModel.forOrganization(organizationId, trx).where(COLUMN[linked], item.id).first())) throw new AppError('CONFLICT', `The ${WHAT[linked]} ${item.id} is reconciled with another bank transaction.`);
        const ledgerAccounts = await ledgerAccountsOf(organizationId, trx);
        const [scored] = candidatesFor(lineOf(row, ledgerAccounts.get(row.bankAccountId)), indexItems([item]), DEFAULT_MATCH_OPTIONS).filter((c) => c.item.id === item.id);
        return settle(trx, row, item, 'MANUAL', scored?.score ?? 0, meta);
      });
    },

    async unmatch(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx, { forUpdate: true });
        if (row.status !== 'MATCHED') throw new AppError('INVALID_STATE_TRANSITION', `Bank transaction ${id} is not matched.`);
        if (row.transferEntryId) await ledger.reverse(trx, organizationId, row.transferEntryId, { memo: `Unmatch of bank line ${row.sourceId}` }, meta);
        const updated = await BankTransactionModel.forOrganization(organizationId, trx).patchAndFetchById(id, {
          status: 'UNMATCHED', paymentId: null, billPaymentId: null, payoutId: null, matchMethod: null, matchConfidence: null, matchedAt: null, transferEntryId: null, updatedAt: new Date(),
        });
        const transaction = toBankTransaction(updated);
        await events.append(trx, [{ type: 'bank_transaction.unmatched', aggregateType: 'bank_transaction', aggregateId: id, organizationId, data: { object: transaction, previousAttributes: { status: 'MATCHED', paymentId: row.paymentId, billPaymentId: row.billPaymentId, payoutId: row.payoutId } } }], meta);
        return transaction;
      });
    },
  };
}
