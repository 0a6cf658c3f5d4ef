import type { Knex } from 'knex';
import type { AccountType, CurrencyCode, SystemAccountKey } from '@uah/schemas';
import { newId } from '../shared/ids.js';

interface ChartAccount {
  key: SystemAccountKey;
  code: string;
  name: string;
  type: AccountType;
  description: string;
}

/** The chart every organization starts with: one account per system key, which documents post to. */
export const DEFAULT_CHART: readonly ChartAccount[] = [
  { key: 'bank', code: '1000', name: 'Bank', type: 'ASSET', description: 'Money in the bank.' },
  { key: 'payment_clearing', code: '1050', name: 'Payment clearing (undeposited funds)', type: 'ASSET', description: 'Payments received and not yet deposited or paid out by the processor.' },
  { key: 'disputed_funds', code: '1060', name: 'Disputed funds', type: 'ASSET', description: 'Payments withdrawn by the processor while a dispute (chargeback) is open; returned if it is won, taken back from the payment if it is lost.' },
  { key: 'receivables', code: '1100', name: 'Accounts receivable', type: 'ASSET', description: 'What customers owe on issued invoices.' },
  { key: 'inventory', code: '1200', name: 'Inventory', type: 'ASSET', description: 'Goods held for sale, at cost.' },
  { key: 'payables', code: '2000', name: 'Accounts payable', type: 'LIABILITY', description: 'What the organization owes its vendors.' },
  { key: 'sales_tax_payable', code: '2100', name: 'Sales tax payable', type: 'LIABILITY', description: 'Tax collected on sales, owed to the tax authority.' },
  { key: 'wages_payable', code: '2250', name: 'Wages payable', type: 'LIABILITY', description: 'Net pay owed to people after a payroll run.' },
  { key: 'withholdings_payable', code: '2260', name: 'Payroll withholdings payable', type: 'LIABILITY', description: 'Amounts withheld from pay, owed to the authorities or funds they are withheld for.' },
  { key: 'customer_credits', code: '2300', name: 'Customer credits', type: 'LIABILITY', description: 'Payments kept as credit for customers.' },
  { key: 'deferred_revenue', code: '2400', name: 'Deferred revenue', type: 'LIABILITY', description: 'Milestones billed and not yet completed: revenue recognised when the milestone is completed.' },
  { key: 'owners_equity', code: '3000', name: "Owner's equity", type: 'EQUITY', description: 'What the owners put in.' },
  { key: 'retained_earnings', code: '3100', name: 'Retained earnings', type: 'EQUITY', description: 'Earnings of closed years.' },
  { key: 'sales_revenue', code: '4000', name: 'Sales revenue', type: 'REVENUE', description: 'Revenue from goods sold.' },
  { key: 'service_revenue', code: '4100', name: 'Service revenue', type: 'REVENUE', description: 'Revenue from services and free-text invoice lines.' },
  { key: 'cost_of_goods_sold', code: '5000', name: 'Cost of goods sold', type: 'EXPENSE', description: 'Cost of the goods sold.' },
  { key: 'inventory_adjustments', code: '5100', name: 'Inventory adjustments', type: 'EXPENSE', description: 'Stock written off or found, at cost (damage, theft, counts).' },
  { key: 'payment_fees', code: '6100', name: 'Payment processing fees', type: 'EXPENSE', description: 'Fees kept by payment processors.' },
  { key: 'wages_expense', code: '6200', name: 'Wages expense', type: 'EXPENSE', description: 'Gross pay of payroll runs.' },
  { key: 'general_expenses', code: '6900', name: 'General expenses', type: 'EXPENSE', description: 'Other operating expenses.' },
  { key: 'fx_gain_loss', code: '7900', name: 'FX gain/loss', type: 'EXPENSE', description: 'Realized exchange differences: a debit balance is a net loss, a credit balance a net gain.' },
];

/** The sequence that numbers an organization's journal entries (lower case: Postgres folds unquoted names). */
export function entryNumberSequence(organizationId: string): string {
  return `journal_entry_number_${organizationId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/**
 * Gives a new organization its ledger: settings (base currency, no lock date), the entry-number
 * sequence and the default chart. Runs in the transaction that creates the organization.
 */
export async function seedLedger(trx: Knex.Transaction, organization: { id: string; baseCurrency: CurrencyCode }): Promise<void> {
  const sequence = entryNumberSequence(organization.id);
  await trx.raw(`CREATE SEQUENCE IF NOT EXISTS ${quoteIdentifier(sequence)} AS bigint MINVALUE 1`);
  await trx('ledger_settings').insert({ organizationId: organization.id, baseCurrency: organization.baseCurrency, entryNumberSequence: sequence });
  await trx('accounts').insert(
    DEFAULT_CHART.map((a) => ({ id: newId('acc'), organizationId: organization.id, code: a.code, name: a.name, type: a.type, systemKey: a.key, description: a.description })),
  );
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
