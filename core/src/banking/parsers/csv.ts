import { parse } from 'csv-parse/sync';
import type { BankStatementImportCreate, CurrencyCode } from '@uah/schemas';
import { unreadable } from './problems.js';
import type { ParsedFile, ParsedStatement, ParsedTransaction } from './types.js';
import { currencyOf, isoDate, minorUnits, normaliseNumber } from './values.js';

export type CsvMapping = NonNullable<BankStatementImportCreate['csv']>;
type Column = string | number;

const DATE_PATTERNS: Record<string, { re: RegExp; order: [number, number, number] }> = {
  'YYYY-MM-DD': { re: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, order: [1, 2, 3] },
  'DD.MM.YYYY': { re: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, order: [3, 2, 1] },
  'DD/MM/YYYY': { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: [3, 2, 1] },
  'MM/DD/YYYY': { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: [3, 1, 2] },
  'DD-MM-YYYY': { re: /^(\d{1,2})-(\d{1,2})-(\d{4})$/, order: [3, 2, 1] },
  YYYYMMDD: { re: /^(\d{4})(\d{2})(\d{2})$/, order: [1, 2, 3] },
};

function parseRows(text: string, mapping: CsvMapping): string[][] {
  try {
    const rows: unknown = parse(text, {
      delimiter: mapping.delimiter ?? ',',
      from_line: (mapping.skipRows ?? 0) + 1,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      max_record_size: 64 * 1024,
    });
    return rows as string[][];
  } catch (error) {
    throw unreadable(`The CSV cannot be parsed: ${(error as Error).message}`);
  }
}

/** Column references (header names or indexes) resolved to indexes, each checked to exist. */
function resolver(header: string[] | null) {
  const names = header?.map((h) => h.trim().normalize('NFC')) ?? [];
  return (column: Column | undefined, field: string): number | null => {
    if (column === undefined) return null;
    if (typeof column === 'number') {
      if (header && column >= header.length) throw unreadable(`csv.columns.${field}: the file has ${header.length} columns, not ${column + 1}.`);
      return column;
    }
    const index = names.indexOf(column.trim().normalize('NFC'));
    if (index < 0) throw unreadable(`csv.columns.${field}: no column "${column}" in the header (${names.slice(0, 30).join(', ')}).`);
    return index;
  };
}

/** CSV exports, read through a column mapping; rows are grouped into one statement per account column value. */
export function parseCsv(text: string, encoding: string, mapping: CsvMapping, fallbackCurrency: CurrencyCode, warnings: string[]): ParsedFile {
  const rows = parseRows(text, mapping);
  const hasHeader = mapping.hasHeader ?? true;
  const header = hasHeader ? (rows.shift() ?? null) : null;
  if (hasHeader && !header) throw unreadable('The CSV file is empty.');
  const col = resolver(header);
  const c = mapping.columns;
  const amountCol = col(c.amount, 'amount');
  const debitCol = col(c.debit, 'debit');
  const creditCol = col(c.credit, 'credit');
  if ((amountCol === null) === (debitCol === null && creditCol === null)) throw unreadable('csv.columns: give either `amount` (signed) or `debit` and/or `credit`, not both.');
  const idx = {
    date: col(c.date, 'date') ?? 0, valueDate: col(c.valueDate, 'valueDate'), counterparty: col(c.counterparty, 'counterparty'), reference: col(c.reference, 'reference'),
    balance: col(c.balance, 'balance'), id: col(c.id, 'id'), currency: col(c.currency, 'currency'), account: col(c.account, 'account'),
    description: (c.description ?? []).map((d, i) => col(d, `description[${i}]`) ?? 0),
  };
  const pattern = DATE_PATTERNS[mapping.dateFormat ?? 'YYYY-MM-DD'] ?? DATE_PATTERNS['YYYY-MM-DD'];
  const decimal = mapping.decimalSeparator ?? '.';
  const thousands = mapping.thousandsSeparator ?? '';
  const byAccount = new Map<string, ParsedStatement>();
  rows.forEach((row, i) => {
    const line = i + 1 + (hasHeader ? 1 : 0) + (mapping.skipRows ?? 0);
    const cell = (index: number | null): string => (index === null ? '' : (row[index] ?? '').trim());
    const where = `CSV line ${line}`;
    const date = (raw: string, what: string): string => {
      const m = pattern?.re.exec(raw);
      if (!m || !pattern) throw unreadable(`${where}: ${what} "${raw.slice(0, 40)}" does not have the format ${mapping.dateFormat ?? 'YYYY-MM-DD'}.`);
      return isoDate(m[pattern.order[0]] ?? '', m[pattern.order[1]] ?? '', m[pattern.order[2]] ?? '', `${where} ${what}`, raw);
    };
    const currency = currencyOf(cell(idx.currency), `${where} currency`) ?? mapping.currency ?? fallbackCurrency;
    const number = (raw: string, what: string): number => minorUnits(normaliseNumber(raw, decimal, thousands), currency, `${where} ${what}`);
    let amount: number;
    if (amountCol !== null) amount = number(cell(amountCol), 'amount');
    else {
      const debit = cell(debitCol);
      const credit = cell(creditCol);
      if (!debit && !credit) throw unreadable(`${where}: both the debit and the credit cell are empty.`);
      amount = (credit ? Math.abs(number(credit, 'credit')) : 0) - (debit ? Math.abs(number(debit, 'debit')) : 0);
    }
    const balance = cell(idx.balance);
    const transaction: ParsedTransaction = {
      bankRef: cell(idx.id) || null,
      date: date(cell(idx.date), 'date'),
      valueDate: idx.valueDate !== null && cell(idx.valueDate) ? date(cell(idx.valueDate), 'value date') : null,
      amount,
      currency,
      description: idx.description.map(cell).filter(Boolean).join(' / '),
      counterparty: cell(idx.counterparty) || null,
      reference: cell(idx.reference) || null,
      type: null,
      runningBalance: balance ? number(balance, 'balance') : null,
    };
    const account = cell(idx.account);
    let statement = byAccount.get(account);
    if (!statement) {
      statement = { accountNumber: account || null, accountType: null, currency, from: null, to: null, balances: [], transactions: [] };
      byAccount.set(account, statement);
    }
    statement.transactions.push(transaction);
  });
  if (byAccount.size === 0) throw unreadable('The CSV file has no rows.');
  for (const s of byAccount.values()) {
    const dates = s.transactions.map((t) => t.date).sort();
    s.from = dates[0] ?? null;
    s.to = dates[dates.length - 1] ?? null;
  }
  return { format: 'CSV', formatVersion: null, encoding, statements: [...byAccount.values()], warnings };
}
