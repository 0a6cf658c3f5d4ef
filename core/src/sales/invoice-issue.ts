import type { Knex } from 'knex';
import type { CurrencyCode, EventMetadata, Invoice, InvoiceIssue, InvoiceVoid } from '@uah/schemas';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { LedgerService, PostEntryInput } from '../ledger/service.js';
import type { OrganizationService } from '../auth/organization-service.js';
import type { CustomerService } from '../customers/service.js';
import type { TaxRateService } from '../catalog/tax-rate-service.js';
import { checkDates, checkRate, requireCustomer } from './invoice-drafts.js';
import { invalidTransition, type InvoiceStore } from './invoice-store.js';
import { toInvoice } from './mappers.js';
import type { InvoiceModel } from './model.js';
import { formatNumber, takeNumber, type InvoiceSettingsService } from './numbering.js';
import { documentEntry, legsOf } from './postings.js';
import type { InvoiceInventory } from '../inventory/service.js';
import { todayUtc } from './dates.js';

export interface IssueDeps {
  knex: Knex;
  events: EventStore;
  organizations: OrganizationService;
  customers: Pick<CustomerService, 'requireActive'>;
  ledger: Pick<LedgerService, 'post' | 'preview' | 'reverse' | 'entriesForSource'>;
  taxRates: Pick<TaxRateService, 'get'>;
  settings: InvoiceSettingsService;
  store: InvoiceStore;
  /** Stock of the products that track inventory: issuing takes them out and posts their cost of goods sold. */
  inventory?: InvoiceInventory;
}

interface IssuePlan {
  patch: Partial<InvoiceModel>;
  entry: PostEntryInput | null;
}

/** What another context does, in the void's transaction, when an invoice it billed is voided. */
export type InvoiceVoidedHook = (trx: Knex.Transaction, invoice: Invoice, meta: EventMetadata) => Promise<void>;

export function createInvoiceIssuing(deps: IssueDeps) {
  const { knex, ledger, store } = deps;
  const voidHooks: InvoiceVoidedHook[] = [];

  /** Checks that the draft can be issued and works out what issuing it writes. */
  async function plan(trx: Knex.Transaction, row: InvoiceModel, baseCurrency: CurrencyCode, input: InvoiceIssue, number: string): Promise<IssuePlan> {
    if (row.status !== 'DRAFT') throw invalidTransition('invoice', row.status, ['DRAFT']);
    await requireCustomer(deps.customers, row.organizationId, row.customerId, trx);
    const issueDate = input.issueDate ?? row.issueDate;
    const dueDate = input.dueDate ?? row.dueDate;
    checkDates(issueDate, dueDate);
    const exchangeRate = input.exchangeRate ?? row.exchangeRate;
    checkRate(row.currency, baseCurrency, input.exchangeRate);
    if (row.currency !== baseCurrency && !exchangeRate) {
      throw unprocessable(`The invoice is in ${row.currency}, the organization's books in ${baseCurrency}: issuing it needs an exchangeRate.`, [{ field: '/exchangeRate', in: 'body', message: 'required for a foreign-currency invoice' }]);
    }
    const taxAccounts = new Map<string, string>();
    for (const id of new Set(row.lines.flatMap((l) => (l.taxRateId ? [l.taxRateId] : [])))) taxAccounts.set(id, (await deps.taxRates.get(row.organizationId, id, trx)).accountId);
    const legs = legsOf(row.lines, (id) => taxAccounts.get(id) ?? '');
    const entry = documentEntry(legs, { date: issueDate, currency: row.currency, exchangeRate, memo: `Invoice ${number}`, source: { type: 'invoice', id: row.id }, reference: { invoiceId: row.id, customerId: row.customerId } }, 'invoice');
    const now = new Date();
    // A zero invoice posts nothing and is settled the moment it is issued.
    const settled = row.total === 0;
    const patch: Partial<InvoiceModel> = { status: settled ? 'PAID' : 'SENT', number, issueDate, dueDate, exchangeRate, issuedAt: now, paidAt: settled ? now : null };
    return { patch, entry };
  }

  /** A void given no date is reversed on the invoice's own date while that period is open (the ledger's default), else today. */
  function reversalDate(row: InvoiceModel, input: InvoiceVoid): { date?: string } {
    if (!input.date) return {};
    if (input.date < row.issueDate) throw unprocessable(`The void date ${input.date} is before the invoice's issue date ${row.issueDate}.`, [{ field: '/date', in: 'body', message: 'before the issue date' }]);
    return { date: input.date };
  }

  const issuing = {
    onVoided(hook: InvoiceVoidedHook): void {
      voidHooks.push(hook);
    },

    async issue(organizationId: string, id: string, input: InvoiceIssue, meta: EventMetadata): Promise<Invoice> {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => issuing.issueIn(trx, organizationId, baseCurrency, id, input, meta));
    },

    /** `issue` in the caller's transaction (documents of other contexts that invoice as part of their own change). */
    async issueIn(trx: Knex.Transaction, organizationId: string, baseCurrency: CurrencyCode, id: string, input: InvoiceIssue, meta: EventMetadata): Promise<Invoice> {
      const row = await store.lock(organizationId, id, trx);
      if (row.status !== 'DRAFT') throw invalidTransition('invoice', row.status, ['DRAFT']);
      const number = input.number ?? (await takeNumber(trx, organizationId, 'invoice'));
      if (input.number && (await store.numberTaken(organizationId, input.number, trx))) {
        throw new AppError('DUPLICATE_INVOICE_NUMBER', `An invoice numbered ${input.number} already exists in this organization.`);
      }
      const { patch, entry } = await plan(trx, row, baseCurrency, input, number);
      const journalEntry = entry ? await ledger.post(trx, organizationId, entry, meta) : null;
      const issueDate = patch.issueDate ?? row.issueDate;
      await deps.inventory?.issueForInvoice(trx, organizationId, { id: row.id, number, date: issueDate, baseCurrency, lines: row.lines }, meta);
      return store.change(trx, row, { ...patch, journalEntryId: journalEntry?.id ?? null }, 'invoice.issued', meta);
    },

    /** What `issue` would write: the invoice, its journal entry and the events; nothing is written or numbered. */
    async previewIssue(organizationId: string, id: string, input: InvoiceIssue, meta: EventMetadata) {
      const baseCurrency = await deps.organizations.baseCurrency(organizationId);
      return knex.transaction(async (trx) => {
        const row = await store.find(organizationId, id, trx);
        const settings = await deps.settings.get(organizationId, trx);
        const { patch, entry } = await plan(trx, row, baseCurrency, input, formatNumber(settings.prefix, settings.nextNumber, settings.numberDigits));
        const journalEntry = entry ? await ledger.preview(organizationId, entry, trx, meta) : null;
        const stockInput = { id: row.id, number: patch.number ?? '', date: patch.issueDate ?? row.issueDate, baseCurrency, lines: row.lines };
        const cost = deps.inventory ? await deps.inventory.previewIssueForInvoice(trx, organizationId, stockInput) : null;
        const costOfGoodsSoldEntry = cost ? await ledger.preview(organizationId, cost, trx, meta) : null;
        const invoice = toInvoice({ ...row, ...patch, updatedAt: new Date() } as InvoiceModel);
        const events = deps.events.preview([{ type: 'invoice.issued', aggregateType: 'invoice', aggregateId: id, organizationId, data: { object: invoice } }], meta);
        return { invoice, journalEntry, costOfGoodsSoldEntry, events };
      });
    },

    /** Cancels an invoice; an issued one has each of its journal entries reversed in the same transaction. */
    async void(organizationId: string, id: string, input: InvoiceVoid, meta: EventMetadata): Promise<Invoice> {
      return knex.transaction(async (trx) => {
        const row = await store.lock(organizationId, id, trx);
        if (row.status === 'CANCELLED') throw invalidTransition('invoice', row.status, ['DRAFT', 'SENT', 'VIEWED', 'OVERDUE']);
        if (row.amountPaid > 0 || row.amountCredited > 0) {
          throw new AppError('INVOICE_HAS_PAYMENTS', `Invoice ${row.number} has ${row.amountPaid} paid and ${row.amountCredited} credited: refund or unapply those before voiding it.`);
        }
        if (row.status !== 'DRAFT') {
          const options = { ...reversalDate(row, input), memo: `Void of invoice ${row.number}${input.reason ? `: ${input.reason}` : ''}` };
          for (const entry of await ledger.entriesForSource(organizationId, 'invoice', id, trx)) {
            if (!entry.reversedBy && !entry.reversalOf) await ledger.reverse(trx, organizationId, entry.id, options, meta);
          }
          // The cost of goods sold entry was reversed with the others: the goods go back into stock at that cost.
          await deps.inventory?.restoreForInvoice(trx, organizationId, id, input.date ?? todayUtc(), meta);
        }
        const voided = await store.change(trx, row, { status: 'CANCELLED', balance: 0, voidedAt: new Date() }, 'invoice.cancelled', meta);
        for (const hook of voidHooks) await hook(trx, voided, meta);
        return voided;
      });
    },
  };
  return issuing;
}

export type InvoiceIssuing = ReturnType<typeof createInvoiceIssuing>;
