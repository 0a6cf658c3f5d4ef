import { currencyMinorUnits, type Account, type AccountType, type CurrencyCode, type JournalEntry } from '@uah/schemas';
import { formatMinor } from '../shared/money.js';

/**
 * The journal as a plain-text (h)ledger journal, so that any organization's books can be checked with
 * `hledger -f <file> check` and compared with `hledger bal`:
 * - a `commodity` directive per currency with its decimals (`1000.00 USD`, `1000. JPY`);
 * - an `account` directive per account, named `<type>:<code> <name>` and tagged with its hledger type;
 * - one transaction per entry, dated by its accounting date, with the entry number as the code and the
 *   ids as tags; debits are positive amounts, credits negative, in major units; a line's invoice and
 *   customer references are posting tags (`invoice:`, `customer:`);
 * - a line in another currency than the base carries its base-currency value as a total cost
 *   (`100.00 EUR @@ 110.00 USD`), so `hledger bal -B` gives the base-currency balances of the reports.
 */

const TYPE_NAMES: Record<AccountType, { prefix: string; tag: string }> = {
  ASSET: { prefix: 'assets', tag: 'A' },
  LIABILITY: { prefix: 'liabilities', tag: 'L' },
  EQUITY: { prefix: 'equity', tag: 'E' },
  REVENUE: { prefix: 'revenue', tag: 'R' },
  EXPENSE: { prefix: 'expenses', tag: 'X' },
};

/** hledger reads ':' as a sub-account, ';' as a comment and two spaces as the end of the name. */
function clean(text: string): string {
  return text.replace(/[:;]/g, '-').replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** A description ends at ';' (a comment) and at the end of the line. */
const describe = (text: string): string => text.replace(/;/g, ',').replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();

/** Tag values end at a comma or the end of the line. */
const tagValue = (text: string): string => clean(text).replace(/,/g, ' ');

export function hledgerAccountName(account: Pick<Account, 'type' | 'code' | 'name'>): string {
  return `${TYPE_NAMES[account.type].prefix}:${clean(`${account.code} ${account.name}`)}`;
}

function commodityDirective(currency: CurrencyCode): string {
  const decimals = currencyMinorUnits(currency);
  return `commodity 1000.${'0'.repeat(decimals)} ${currency}`;
}

function amountText(amount: number, currency: CurrencyCode): string {
  return `${formatMinor(amount, currency)} ${currency}`;
}

function transaction(entry: JournalEntry, names: Map<string, string>): string {
  const memo = describe(entry.memo ?? '') || (entry.source ? `${entry.source.type} ${entry.source.id}` : 'Journal entry');
  const tags = [`entry:${entry.id}`];
  if (entry.source) tags.push(`source:${tagValue(`${entry.source.type}/${entry.source.id}`)}`);
  if (entry.reversalOf) tags.push(`reverses:${entry.reversalOf}`);
  const out = [`${entry.date} (${entry.number}) ${memo}  ; ${tags.join(', ')}`];
  for (const line of entry.lines) {
    const sign = line.direction === 'DEBIT' ? 1 : -1;
    let posting = `    ${names.get(line.accountId) ?? `unknown:${line.accountId}`}  ${amountText(sign * line.amount, line.currency)}`;
    if (line.currency !== entry.baseCurrency) posting += ` @@ ${amountText(line.baseAmount, entry.baseCurrency)}`;
    // The subledger reference as hledger tags (`hledger bal tag:invoice=inv_…` gives an invoice's receivable).
    const comment = [...(line.description ? [clean(line.description)] : []), ...(line.invoiceId ? [`invoice:${line.invoiceId}`] : []), ...(line.customerId ? [`customer:${line.customerId}`] : []), ...(line.billId ? [`bill:${line.billId}`] : []), ...(line.vendorId ? [`vendor:${line.vendorId}`] : [])];
    if (comment.length > 0) posting += `  ; ${comment.join(', ')}`;
    out.push(posting);
  }
  return out.join('\n');
}

export function toHledgerJournal(organization: { id: string; baseCurrency: CurrencyCode }, accounts: Account[], entries: JournalEntry[]): string {
  const currencies = new Set<CurrencyCode>([organization.baseCurrency]);
  for (const entry of entries) for (const line of entry.lines) currencies.add(line.currency);
  const names = new Map(accounts.map((a) => [a.id, hledgerAccountName(a)]));
  const parts = [
    `; Journal of organization ${organization.id}, exported by the Universal Accounting Hub.`,
    `; Amounts in major units; base currency ${organization.baseCurrency}. Check it with: hledger -f <this file> check`,
    '',
    ...[...currencies].sort().map(commodityDirective),
    '',
    ...accounts.map((a) => `account ${names.get(a.id) ?? ''}  ; type: ${TYPE_NAMES[a.type].tag}`),
    '',
    ...entries.map((e) => `${transaction(e, names)}\n`),
  ];
  return parts.join('\n');
}
