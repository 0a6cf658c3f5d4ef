import type { Knex } from 'knex';
import type { CreditNote, CreditNoteCreate, CreditNoteListQuery, EventMetadata, SalesTaxSummary } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import { fetchPage, type Page } from '../http/paging.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService } from '../ledger/service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import { todayUtc } from './dates.js';
import type { InvoiceSettlement } from './invoice-settlement.js';
import type { InvoiceStore } from './invoice-store.js';
import type { LineResolver, ResolvedLines } from './line-resolver.js';
import { allocate } from './lines.js';
import { toCreditNote } from './mappers.js';
import { CreditNoteModel, type InvoiceModel } from './model.js';
import { takeNumber } from './numbering.js';
import { documentEntry, legsOf } from './postings.js';

export interface CreditNoteService {
  create(organizationId: string, input: CreditNoteCreate, meta: EventMetadata): Promise<CreditNote>;
  get(organizationId: string, id: string): Promise<CreditNote>;
  list(organizationId: string, query: CreditNoteListQuery): Promise<Page<CreditNote>>;
}

export interface CreditNoteDeps {
  knex: Knex;
  events: EventStore;
  ledger: Pick<LedgerService, 'post'>;
  taxRates: Pick<TaxRateService, 'get'>;
  lines: LineResolver;
  store: InvoiceStore;
  settlement: Pick<InvoiceSettlement, 'applyCredit'>;
}

/**
 * A lump sum (tax included) is spread over the invoice's lines in proportion to what each posted (its net
 * and its tax), so revenue and tax are credited in the same mix as they were charged.
 */
function lumpSum(invoice: InvoiceModel, amount: number): ResolvedLines {
  const parts = allocate(amount, invoice.lines.flatMap((l) => [l.netAmount, l.taxAmount]));
  const credited = invoice.lines.map((line, i) => ({ ...line, netAmount: parts[2 * i] ?? 0, taxAmount: parts[2 * i + 1] ?? 0 }));
  const taxes = new Map<string, SalesTaxSummary>();
  for (const line of credited) {
    if (line.taxRateId === null) continue;
    const name = invoice.taxes.find((t) => t.taxRateId === line.taxRateId)?.name ?? line.taxRateId;
    const summary = taxes.get(line.taxRateId) ?? { taxRateId: line.taxRateId, name, basisPoints: line.taxRateBasisPoints ?? 0, taxableAmount: 0, amount: 0 };
    summary.taxableAmount += line.netAmount;
    summary.amount += line.taxAmount;
    taxes.set(line.taxRateId, summary);
  }
  const subtotal = credited.reduce((s, l) => s + l.netAmount, 0);
  const taxTotal = credited.reduce((s, l) => s + l.taxAmount, 0);
  // The credited split is what the journal entry is built from; the note itself lists no lines.
  return { lines: credited, taxes: [...taxes.values()], subtotal, discountTotal: 0, taxTotal, total: subtotal + taxTotal };
}

export function createCreditNoteService(deps: CreditNoteDeps): CreditNoteService {
  const { knex, store } = deps;

  async function lockInvoice(organizationId: string, invoiceId: string, trx: Knex.Transaction): Promise<InvoiceModel> {
    try {
      return await store.lock(organizationId, invoiceId, trx);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw unprocessable(error.message, [{ field: '/invoiceId', in: 'body', message: 'no such invoice in this organization' }]);
      throw error;
    }
  }

  return {
    async create(organizationId, input, meta) {
      return knex.transaction(async (trx) => {
        const invoice = await lockInvoice(organizationId, input.invoiceId, trx);
        if (!['SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE', 'PAID'].includes(invoice.status)) {
          throw unprocessable(`Invoice ${invoice.number ?? invoice.id} is ${invoice.status}: only issued invoices can be credited.`, [{ field: '/invoiceId', in: 'body', message: `invoice is ${invoice.status}` }]);
        }
        const date = input.date ?? todayUtc();
        if (date < invoice.issueDate) throw unprocessable(`The credit note date ${date} is before the invoice's issue date ${invoice.issueDate}.`, [{ field: '/date', in: 'body', message: 'before the invoice issue date' }]);
        const itemised = input.lines !== undefined;
        const resolved = input.lines ? await deps.lines.resolve(organizationId, invoice.currency, input.lines, trx) : lumpSum(invoice, input.amount ?? 0);
        if (resolved.total <= 0) throw unprocessable('A credit note must credit something: its total is 0.', [{ field: '/lines', in: 'body', message: 'total is 0' }]);
        if (resolved.total > invoice.balance) {
          throw new AppError('CREDIT_EXCEEDS_BALANCE', `The credit of ${resolved.total} exceeds the balance ${invoice.balance} of invoice ${invoice.number}.`, { errors: [{ field: itemised ? '/lines' : '/amount', in: 'body', message: `exceeds the invoice balance ${invoice.balance}` }] });
        }
        const id = newId('cn');
        const number = await takeNumber(trx, organizationId, 'credit_note');
        const taxAccounts = new Map<string, string>();
        for (const rateId of new Set(resolved.lines.flatMap((l) => (l.taxRateId ? [l.taxRateId] : [])))) taxAccounts.set(rateId, (await deps.taxRates.get(organizationId, rateId, trx)).accountId);
        const entry = documentEntry(legsOf(resolved.lines, (rateId) => taxAccounts.get(rateId) ?? ''), {
          date, currency: invoice.currency, exchangeRate: invoice.exchangeRate, memo: `Credit note ${number} on invoice ${invoice.number}`, source: { type: 'credit_note', id },
          reference: { invoiceId: invoice.id, customerId: invoice.customerId },
        }, 'credit');
        const journalEntry = entry ? await deps.ledger.post(trx, organizationId, entry, meta) : null;
        const row = await CreditNoteModel.forOrganization(organizationId, trx).insertAndFetch({
          id, organizationId, invoiceId: invoice.id, customerId: invoice.customerId, number, currency: invoice.currency, exchangeRate: invoice.exchangeRate, date,
          reason: input.reason ?? null, lines: itemised ? resolved.lines : [], taxes: resolved.taxes, subtotal: resolved.subtotal,
          discountTotal: resolved.discountTotal, taxTotal: resolved.taxTotal, total: resolved.total, journalEntryId: journalEntry?.id ?? null, metadata: input.metadata ?? {},
        } as Partial<CreditNoteModel>);
        const note = toCreditNote(row);
        await deps.events.append(trx, [{ type: 'credit_note.created', aggregateType: 'credit_note', aggregateId: id, organizationId, data: { object: note } }], meta);
        await deps.settlement.applyCredit(trx, invoice, note.total, meta);
        return note;
      });
    },

    async get(organizationId, id) {
      const row = await CreditNoteModel.findInOrganization(organizationId, id, 'credit note', knex);
      return toCreditNote(row);
    },

    async list(organizationId, query) {
      const q = CreditNoteModel.forOrganization(organizationId, knex);
      if (query.invoiceId) q.where('invoice_id', query.invoiceId);
      if (query.customerId) q.where('customer_id', query.customerId);
      return fetchPage(q, query, toCreditNote);
    },
  };
}
