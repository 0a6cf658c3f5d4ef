import type { Knex } from 'knex';
import type { InvoiceSettings, InvoiceSettingsUpdate } from '@uah/schemas';
import { unprocessable } from '../http/errors.js';
import { InvoiceSettingsModel } from './model.js';
import { timestampOrNull } from './dates.js';

export type NumberSequence = 'invoice' | 'credit_note' | 'quote';

const SEQUENCES: Record<NumberSequence, { prefix: string; next: string }> = {
  invoice: { prefix: 'prefix', next: 'next_number' },
  credit_note: { prefix: 'credit_note_prefix', next: 'next_credit_note_number' },
  quote: { prefix: 'quote_prefix', next: 'next_quote_number' },
};

const DEFAULTS = { prefix: 'INV-', nextNumber: 1, creditNotePrefix: 'CN-', nextCreditNoteNumber: 1, quotePrefix: 'QT-', nextQuoteNumber: 1, numberDigits: 5, paymentTermsDays: 30 };

export function formatNumber(prefix: string, value: number, digits: number): string {
  return `${prefix}${String(value).padStart(digits, '0')}`;
}

/**
 * Takes the next number of a sequence inside the caller's transaction. The counter row stays locked until
 * that transaction ends, so concurrent documents queue for it; a transaction that rolls back gives its number
 * back, which is how the sequence has no gaps.
 */
export async function takeNumber(trx: Knex.Transaction, organizationId: string, sequence: NumberSequence): Promise<string> {
  const { prefix, next } = SEQUENCES[sequence];
  const result = await trx.raw<{ rows: Array<{ taken: number; prefix: string; numberDigits: number }> }>(
    `INSERT INTO invoice_settings (organization_id, ??) VALUES (?, 2)
     ON CONFLICT (organization_id) DO UPDATE SET ?? = invoice_settings.?? + 1
     RETURNING ?? - 1 AS taken, ?? AS prefix, number_digits AS "numberDigits"`,
    [next, organizationId, next, next, next, prefix],
  );
  const row = result.rows[0];
  if (!row) throw new Error('invoice_settings upsert returned no row');
  return formatNumber(row.prefix, Number(row.taken), row.numberDigits);
}

export interface InvoiceSettingsService {
  get(organizationId: string, trx?: Knex | Knex.Transaction): Promise<InvoiceSettings>;
  update(organizationId: string, input: InvoiceSettingsUpdate): Promise<InvoiceSettings>;
}

function toSettings(organizationId: string, row: InvoiceSettingsModel | undefined): InvoiceSettings {
  const values = row ?? { ...DEFAULTS, updatedAt: null };
  return {
    object: 'invoice_settings',
    organizationId,
    prefix: values.prefix,
    nextNumber: Number(values.nextNumber),
    creditNotePrefix: values.creditNotePrefix,
    nextCreditNoteNumber: Number(values.nextCreditNoteNumber),
    quotePrefix: values.quotePrefix,
    nextQuoteNumber: Number(values.nextQuoteNumber),
    numberDigits: values.numberDigits,
    paymentTermsDays: values.paymentTermsDays,
    updatedAt: timestampOrNull(values.updatedAt),
  };
}

export function createInvoiceSettingsService(deps: { knex: Knex }): InvoiceSettingsService {
  return {
    async get(organizationId, trx) {
      return toSettings(organizationId, await InvoiceSettingsModel.forOrganization(organizationId, trx ?? deps.knex).first());
    },

    async update(organizationId, input) {
      return deps.knex.transaction(async (trx) => {
        await trx.raw('INSERT INTO invoice_settings (organization_id) VALUES (?) ON CONFLICT (organization_id) DO NOTHING', [organizationId]);
        const current = await InvoiceSettingsModel.forOrganization(organizationId, trx).forUpdate().first();
        if (!current) throw new Error('invoice settings row missing after upsert');
        const counters = ['nextNumber', 'nextCreditNoteNumber', 'nextQuoteNumber'] as const;
        for (const counter of counters) {
          const wanted = input[counter];
          if (wanted !== undefined && wanted < Number(current[counter])) {
            throw unprocessable(`${counter} can only move forward: numbers up to ${Number(current[counter]) - 1} may already be in use.`, [{ field: `/${counter}`, in: 'body', message: `must be at least ${current[counter]}` }]);
          }
        }
        const patch: Partial<InvoiceSettingsModel> = { ...input, updatedAt: new Date() };
        const updated = await InvoiceSettingsModel.forOrganization(organizationId, trx).patchAndFetchById(organizationId, patch);
        return toSettings(organizationId, updated);
      });
    },
  };
}
