import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import type { BankFeedImport, BankStatementImport, BankStatementImportCreate, EventMetadata } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError, unprocessable } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import { accountKeyOf, BankAccountModel, BankImportModel } from './models.js';
import { parseStatementFile, sourceIds, type ParsedFile, type ParsedStatement } from './parsers/index.js';
import { unreadable } from './parsers/problems.js';

export interface BankImportService {
  /** Reads a statement file and inserts its new transactions; 422 STATEMENT_UNREADABLE (nothing written) when it cannot be read. */
  import(organizationId: string, bankAccountId: string, input: BankStatementImportCreate, meta: EventMetadata): Promise<BankStatementImport>;
  /**
   * Inserts the new booked lines a bank feed delivers (a connector's sync), the way a statement import
   * does: the bank's id of each line is its source id, so overlapping windows add each line once.
   */
  importFeed(organizationId: string, bankAccountId: string, input: BankFeedImport, meta: EventMetadata): Promise<BankStatementImport>;
  get(organizationId: string, bankAccountId: string, id: string): Promise<BankStatementImport>;
}

/** A feed's lines as the one statement of a file, so that they take the same path as a file's. */
function feedFile(input: BankFeedImport, account: BankAccountModel): ParsedFile & { sha256: string } {
  const transactions = input.transactions.map((t) => ({
    bankRef: t.id, date: t.date, valueDate: t.valueDate ?? null, amount: t.amount, currency: t.currency, description: t.description,
    counterparty: t.counterparty ?? null, reference: t.reference ?? null, type: t.type ?? null, runningBalance: null,
  }));
  const statement: ParsedStatement = { accountNumber: account.accountNumber, accountType: null, currency: account.currency, from: input.from ?? null, to: input.to ?? null, balances: input.balances ?? [], transactions };
  return { format: 'FEED', formatVersion: null, encoding: 'utf-8', statements: [statement], warnings: [], sha256: createHash('sha256').update(JSON.stringify(input.transactions)).digest('hex') };
}

const CHUNK = 1000;
type Detail = BankStatementImport['details'][number];
interface Planned {
  statement: ParsedStatement;
  selected: boolean;
  ids: string[];
}

/** Which statements of the file belong to the bank account: by account number, or the file's only account. */
function select(file: ParsedFile, account: BankAccountModel): boolean[] {
  const keys = file.statements.map((s) => accountKeyOf(s.accountNumber));
  const named = [...new Set(file.statements.map((s) => s.accountNumber ?? '(none)'))];
  if (account.accountKey) {
    const chosen = keys.map((k) => k === null || k === account.accountKey);
    if (keys.every((k) => k === null) || chosen.some((c, i) => c && keys[i] !== null)) return chosen;
    throw new AppError('UNPROCESSABLE', `The file holds statements of ${named.join(', ')}, none of them this bank account (${account.accountNumber}).`);
  }
  if (new Set(keys).size > 1) throw new AppError('UNPROCESSABLE', `The file holds statements of several accounts (${named.join(', ')}): set this bank account's accountNumber to the one to import.`);
  return keys.map(() => true);
}

function totals(statement: ParsedStatement): Detail['totals'] {
  const by = new Map<string, Detail['totals'][number]>();
  for (const t of statement.transactions) {
    const row = by.get(t.currency) ?? { currency: t.currency, credits: 0, creditAmount: 0, debits: 0, debitAmount: 0 };
    if (t.amount >= 0) {
      row.credits += 1;
      row.creditAmount += t.amount;
    } else {
      row.debits += 1;
      row.debitAmount += t.amount;
    }
    by.set(t.currency, row);
  }
  return [...by.values()];
}

export function createBankImportService(deps: { knex: Knex; events: EventStore }): BankImportService {
  const { knex, events } = deps;

  /** Inserts what is new; the unique (bank account, source id) index decides, inside this transaction. */
  async function insertNew(trx: Knex.Transaction, rows: Array<Record<string, unknown>>): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < rows.length; i += CHUNK) {
      const returned = await trx('bank_transactions').insert(rows.slice(i, i + CHUNK)).onConflict(['bank_account_id', 'source_id']).ignore().returning<Array<{ sourceId: string }>>(['source_id']);
      for (const r of returned) inserted.add(r.sourceId);
    }
    return inserted;
  }

  async function existing(db: Knex | Knex.Transaction, bankAccountId: string, ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await db('bank_transactions').where('bank_account_id', bankAccountId).whereIn('source_id', ids.slice(i, i + CHUNK)).select<Array<{ sourceId: string }>>('source_id');
      for (const r of rows) out.add(r.sourceId);
    }
    return out;
  }

  async function notYetImported(bankAccountId: string, ids: string[]): Promise<Set<string>> {
    const known = await existing(knex, bankAccountId, ids);
    return new Set(ids.filter((id) => !known.has(id)));
  }

  /** What the import did, statement by statement, given the source ids that were new. */
  function summarise(base: Pick<BankStatementImport, 'id' | 'organizationId' | 'bankAccountId' | 'fileName' | 'dryRun' | 'createdAt'>, file: ParsedFile & { sha256: string }, planned: Planned[], fresh: Set<string>): BankStatementImport {
    // Within one file, a repeated source id (the same line in two statements) counts as a duplicate.
    const counted = new Set<string>();
    const details: Detail[] = planned.map((p) => {
      let imported = 0;
      if (p.selected) for (const id of p.ids) if (fresh.has(id) && !counted.has(id)) { counted.add(id); imported += 1; }
      const s = p.statement;
      return { accountNumber: s.accountNumber, accountType: s.accountType, currency: s.currency, from: s.from, to: s.to, selected: p.selected, transactions: s.transactions.length, imported, duplicates: p.selected ? s.transactions.length - imported : 0, totals: totals(s), balances: s.balances };
    });
    const sum = (f: (d: Detail) => number): number => details.reduce((n, d) => n + f(d), 0);
    return {
      ...base, object: 'bank_statement_import', format: file.format, formatVersion: file.formatVersion, fileSha256: file.sha256, encoding: file.encoding,
      statements: file.statements.length, transactions: sum((d) => d.transactions), imported: sum((d) => d.imported), duplicates: sum((d) => d.duplicates),
      balancesSeen: sum((d) => d.balances.length), details, warnings: file.warnings.slice(0, 100),
    };
  }

  /** The import row, the new transactions (the unique index drops the known ones), their events: one transaction. */
  async function persist(trx: Knex.Transaction, base: BankStatementImport, file: ParsedFile & { sha256: string }, planned: Planned[], rows: Array<Record<string, unknown>>, meta: EventMetadata): Promise<BankStatementImport> {
    const { id, organizationId, bankAccountId } = base;
    await BankImportModel.forOrganization(organizationId, trx).insert({ id, organizationId, bankAccountId, format: file.format, fileName: base.fileName, fileSha256: file.sha256, imported: 0, duplicates: 0, result: {} as BankStatementImport, createdAt: new Date(base.createdAt) } as Partial<BankImportModel>);
    const result = summarise(base, file, planned, await insertNew(trx, rows));
    await BankImportModel.forOrganization(organizationId, trx).patch({ imported: result.imported, duplicates: result.duplicates, result } as Partial<BankImportModel>).where('id', id);
    // One event per import, not per line: a statement of 20,000 lines is one fact for consumers, who read
    // its new lines with GET /bank-transactions?importId=.
    await events.append(trx, [{ type: 'bank_statement.imported', aggregateType: 'bank_statement_import', aggregateId: id, organizationId, data: { object: result } }], meta);
    return result;
  }

  async function activeAccount(organizationId: string, bankAccountId: string): Promise<BankAccountModel> {
    const account = await BankAccountModel.findInOrganization(organizationId, bankAccountId, 'bank account', knex);
    if (account.status !== 'ACTIVE') throw new AppError('UNPROCESSABLE', `Bank account ${bankAccountId} is INACTIVE: it takes no imports.`);
    return account;
  }

  /** The selected statements' lines, new ones inserted (or only counted on a dry run), with the import's row and event. */
  async function write(organizationId: string, bankAccountId: string, file: ParsedFile & { sha256: string }, selected: boolean[], options: { fileName: string | null; dryRun: boolean }, meta: EventMetadata): Promise<BankStatementImport> {
    const importId = newId('bsi');
    const now = new Date();
    const planned: Planned[] = file.statements.map((s, i) => ({ statement: s, selected: selected[i] ?? false, ids: sourceIds(s.accountNumber, s.transactions) }));
    const rows = planned.flatMap((p) => (p.selected ? p.statement.transactions.map((t, j) => ({
      id: newId('btx'), organizationId, bankAccountId, importId, sourceId: p.ids[j] ?? '', date: t.date, valueDate: t.valueDate, amount: t.amount, currency: t.currency,
      direction: t.amount >= 0 ? 'CREDIT' : 'DEBIT', description: t.description.slice(0, 2000), counterparty: t.counterparty?.slice(0, 500) ?? null, reference: t.reference?.slice(0, 500) ?? null,
      type: t.type?.slice(0, 100) ?? null, runningBalance: t.runningBalance, status: 'UNMATCHED', suggestions: '[]', createdAt: now, updatedAt: now,
    })) : []));
    const base = { id: importId, organizationId, bankAccountId, fileName: options.fileName, dryRun: options.dryRun, createdAt: now.toISOString() };
    if (options.dryRun) return summarise(base, file, planned, await notYetImported(bankAccountId, rows.map((r) => r.sourceId)));
    return knex.transaction((trx) => persist(trx, summarise(base, file, planned, new Set()), file, planned, rows, meta));
  }

  return {
    async import(organizationId, bankAccountId, input, meta) {
      const account = await activeAccount(organizationId, bankAccountId);
      const file = parseStatementFile(input, account.currency);
      const selected = select(file, account);
      file.statements.forEach((s, i) => {
        if (selected[i] && s.currency && s.currency !== account.currency) throw unreadable(`Statement ${i + 1} is in ${s.currency}; bank account ${account.name} is in ${account.currency}.`);
      });
      return write(organizationId, bankAccountId, file, selected, { fileName: input.fileName ?? null, dryRun: !!input.dryRun }, meta);
    },

    async importFeed(organizationId, bankAccountId, input, meta) {
      const account = await activeAccount(organizationId, bankAccountId);
      input.transactions.forEach((t, i) => {
        if (t.currency !== account.currency) throw unprocessable(`Transaction ${t.id} is in ${t.currency}; bank account ${account.name} is in ${account.currency}.`, [{ field: `/transactions/${i}/currency`, in: 'body', message: 'currency differs from the bank account' }]);
      });
      return write(organizationId, bankAccountId, feedFile(input, account), [true], { fileName: input.source, dryRun: false }, meta);
    },

    async get(organizationId, bankAccountId, id) {
      const row = await BankImportModel.findInOrganization(organizationId, id, 'statement import', knex);
      if (row.bankAccountId !== bankAccountId) throw new AppError('NOT_FOUND', `No statement import ${id} for bank account ${bankAccountId}.`);
      return row.result;
    },
  };
}
