import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { BankReconciliationResult, BankReconciliationRun, BankTransaction, BankTransactionMatch, EventMetadata, Payment } from '@uah/schemas';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import { toBankTransaction, dayOf } from './mappers.js';
import { BankAccountModel, BankTransactionModel, type StoredSuggestion } from './models.js';
import { candidatesFor, DEFAULT_MATCH_OPTIONS, indexItems, matchLines, type BankLine, type OpenItem, type Scored } from './matching/matcher.js';
import type { OpenItemSource, SettlingLine } from './matching/open-items.js';

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
}

const lineOf = (row: BankTransactionModel): BankLine => ({
  id: row.id, amount: Number(row.amount), currency: row.currency, date: dayOf(row.date), text: [row.description, row.counterparty ?? '', row.reference ?? ''].join(' '),
});
const settlingOf = (row: BankTransactionModel): SettlingLine => ({ id: row.id, amount: Number(row.amount), currency: row.currency, date: dayOf(row.date), description: row.description, reference: row.reference, sourceId: row.sourceId });
const suggestionOf = (s: Scored): StoredSuggestion => ({ kind: s.item.kind, id: s.item.id, score: s.score, amount: s.item.amount, currency: s.item.currency as StoredSuggestion['currency'], date: s.item.date, label: s.item.label });

export function createReconciliationService(deps: ReconciliationDeps): ReconciliationService {
  const { knex, events, ledger, sources } = deps;
  const sourceOf = (kind: string): OpenItemSource => {
    const source = sources.find((s) => s.kind === kind);
    if (!source) throw new Error(`no open item source ${kind}`);
    return source;
  };

  /**
   * Settles `item` with the locked, unmatched line: the payment through its source, then, when the bank
   * account is booked on a ledger account other than the chart's Bank account (where payments post), a
   * transfer between the two; the line is marked MATCHED and payment.reconciled recorded.
   */
  async function settle(trx: Knex.Transaction, row: BankTransactionModel, item: OpenItem, method: 'AUTO' | 'MANUAL', confidence: number | null, meta: EventMetadata): Promise<BankTransaction> {
    const organizationId = row.organizationId;
    const payment: Payment = await sourceOf(item.kind).settle(trx, organizationId, item, settlingOf(row), meta);
    const account = await BankAccountModel.findInOrganization(organizationId, row.bankAccountId, 'bank account', trx);
    const bank = await ledger.accountByKey(organizationId, 'bank', trx);
    let transferEntryId: string | null = null;
    if (account.ledgerAccountId !== bank.id) {
      const entry = await ledger.post(trx, organizationId, {
        date: dayOf(row.date), currency: row.currency, memo: `Bank line ${row.sourceId} reconciled with payment ${payment.id}`, source: { type: 'bank_transaction', id: row.id },
        ...(payment.exchangeRate ? { exchangeRate: payment.exchangeRate } : {}),
        lines: [{ account: { id: account.ledgerAccountId }, direction: 'DEBIT', amount: Number(row.amount) }, { account: { id: bank.id }, direction: 'CREDIT', amount: Number(row.amount) }],
      }, meta);
      transferEntryId = entry.id;
    }
    const updated = await BankTransactionModel.forOrganization(organizationId, trx).patchAndFetchById(row.id, {
      status: 'MATCHED', paymentId: payment.id, matchMethod: method, matchConfidence: confidence, matchedAt: new Date(), transferEntryId, suggestions: JSON.stringify([]) as unknown as StoredSuggestion[], updatedAt: new Date(),
    }).catch((error: unknown) => {
      // Two lines reconciled with one payment at once: the unique index lets only the first commit.
      throw error instanceof UniqueViolationError ? new AppError('CONFLICT', `Payment ${payment.id} is reconciled with another bank transaction.`) : error;
    });
    const transaction = toBankTransaction(updated);
    const reconciliation = { bankTransactionId: row.id, bankAccountId: row.bankAccountId, method, confidence, itemKind: item.kind, itemId: item.id, transferEntryId };
    await events.append(trx, [{ type: 'payment.reconciled', aggregateType: 'payment', aggregateId: payment.id, organizationId, data: { object: { ...payment, reconciliation } } }], meta);
    return transaction;
  }

  async function lockUnmatched(trx: Knex.Transaction, organizationId: string, id: string): Promise<BankTransactionModel> {
    const row = await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx, { forUpdate: true });
    if (row.status !== 'UNMATCHED') throw new AppError('INVALID_STATE_TRANSITION', `Bank transaction ${id} is MATCHED already (payment ${row.paymentId}); unmatch it first.`);
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
      const items = (await Promise.all(sources.map((s) => s.list(organizationId)))).flat();
      const options = { threshold: input.threshold ?? DEFAULT_MATCH_OPTIONS.threshold, windowDays: input.dateWindowDays ?? DEFAULT_MATCH_OPTIONS.windowDays };
      const { matches, suggestions } = matchLines(rows.map(lineOf), items, options);
      const done: BankReconciliationResult['matches'] = [];
      if (!input.dryRun) {
        for (const m of matches) {
          // One transaction per match: a match that fails (a locked period, an invoice paid meanwhile) leaves the others standing.
          const result = await knex.transaction(async (trx) => settle(trx, await lockUnmatched(trx, organizationId, m.line.id), m.item, 'AUTO', m.score, meta)).catch((error: unknown) => {
            if (error instanceof AppError) return null;
            throw error;
          });
          if (result) done.push({ bankTransactionId: m.line.id, kind: m.item.kind, itemId: m.item.id, paymentId: result.match?.paymentId ?? null, confidence: m.score });
          else suggestions.set(m.line.id, [{ item: m.item, score: m.score }]);
        }
        const settled = new Set(done.map((d) => d.bankTransactionId));
        // Rows whose suggestions stay empty are not rewritten: most noise lines have none, before or after.
        const changed = rows.filter((r) => !settled.has(r.id) && ((suggestions.get(r.id)?.length ?? 0) > 0 || (Array.isArray(r.suggestions) && r.suggestions.length > 0)));
        await saveSuggestions(organizationId, changed.map((r) => ({ id: r.id, suggestions: (suggestions.get(r.id) ?? []).map(suggestionOf) })));
      } else {
        done.push(...matches.map((m) => ({ bankTransactionId: m.line.id, kind: m.item.kind, itemId: m.item.id, paymentId: null, confidence: m.score })));
      }
      const matchedIds = new Set(done.map((d) => d.bankTransactionId));
      const suggested = rows.filter((r) => !matchedIds.has(r.id) && (suggestions.get(r.id)?.length ?? 0) > 0).length;
      return { object: 'bank_reconciliation_result', considered: rows.length, matched: done.length, suggested, unmatched: rows.length - done.length - suggested, dryRun: !!input.dryRun, matches: done };
    },

    async match(organizationId, id, input, meta) {
      if ((input.paymentId === undefined) === (input.invoiceId === undefined)) throw unprocessable('Name exactly one of paymentId and invoiceId.', [{ field: '', in: 'body', message: 'give paymentId or invoiceId' }]);
      return knex.transaction(async (trx) => {
        const row = await lockUnmatched(trx, organizationId, id);
        if (Number(row.amount) <= 0) throw unprocessable(`Bank transaction ${id} is a debit: debits are matched to bills, which this version does not offer yet.`);
        const itemId = input.paymentId ?? input.invoiceId ?? '';
        const kinds = input.paymentId ? ['PENDING_PAYMENT', 'PAYMENT'] : ['INVOICE'];
        let item: OpenItem | null = null;
        for (const kind of kinds) item ??= await sourceOf(kind).find(organizationId, itemId, trx);
        const field = input.paymentId ? '/paymentId' : '/invoiceId';
        if (!item) throw unprocessable(`No open ${input.paymentId ? 'payment (pending, or completed into the bank and not reconciled)' : 'invoice'} ${itemId} in this organization.`, [{ field, in: 'body', message: 'not open' }]);
        if (item.currency !== row.currency) throw unprocessable(`The transaction is in ${row.currency}, ${itemId} in ${item.currency}.`, [{ field, in: 'body', message: 'currency differs' }]);
        if (item.kind !== 'INVOICE' && item.amount !== Number(row.amount)) throw unprocessable(`The transaction is ${String(row.amount)}, the payment's net amount ${item.amount}.`, [{ field, in: 'body', message: 'amount differs' }]);
        if (item.kind === 'PAYMENT' && (await BankTransactionModel.forOrganization(organizationId, trx).where('paymentId', item.id).first())) throw new AppError('CONFLICT', `Payment ${item.id} is reconciled with another bank transaction.`);
        const [scored] = candidatesFor(lineOf(row), indexItems([item]), DEFAULT_MATCH_OPTIONS).filter((c) => c.item.id === item.id);
        return settle(trx, row, item, 'MANUAL', scored?.score ?? 0, meta);
      });
    },

    async unmatch(organizationId, id, meta) {
      return knex.transaction(async (trx) => {
        const row = await BankTransactionModel.findInOrganization(organizationId, id, 'bank transaction', trx, { forUpdate: true });
        if (row.status !== 'MATCHED') throw new AppError('INVALID_STATE_TRANSITION', `Bank transaction ${id} is not matched.`);
        if (row.transferEntryId) await ledger.reverse(trx, organizationId, row.transferEntryId, { memo: `Unmatch of bank line ${row.sourceId}` }, meta);
        const updated = await BankTransactionModel.forOrganization(organizationId, trx).patchAndFetchById(id, {
          status: 'UNMATCHED', paymentId: null, matchMethod: null, matchConfidence: null, matchedAt: null, transferEntryId: null, updatedAt: new Date(),
        });
        const transaction = toBankTransaction(updated);
        await events.append(trx, [{ type: 'bank_transaction.unmatched', aggregateType: 'bank_transaction', aggregateId: id, organizationId, data: { object: transaction, previousAttributes: { status: 'MATCHED', paymentId: row.paymentId } } }], meta);
        return transaction;
      });
    },
  };
}
