import type { Knex } from 'knex';
import { stringify } from 'csv-stringify/sync';
import type { DataExport, EventMetadata, ExportEntity, ExportQuery, JournalEntry } from '@uah/schemas';
import { validationFailed } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { ExportSources } from './sources.js';

const PAGE = 100;

export interface ExportService {
  /** The organization's data as JSON, or one kind of record as CSV text; records system.data_exported. */
  export(organizationId: string, query: ExportQuery, meta: EventMetadata): Promise<{ json: DataExport } | { csv: string; entity: ExportEntity }>;
}

async function readAll(list: ExportSources[ExportEntity], organizationId: string): Promise<object[]> {
  const out: object[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(organizationId, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * A cell: numbers and booleans as their text, nested values as JSON, null as empty, text as is, except text
 * a spreadsheet would run as a formula (starting with =, +, @, a tab or CR, or - not starting a number),
 * which gets a leading apostrophe: names and descriptions come from outside.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return JSON.stringify(value);
  return /^[=+@\t\r]|^-(?![0-9.])/.test(value) ? `'${value}` : value;
}

/** One row per record, the columns in the order the records first show them. */
export function recordsToCsv(records: object[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (seen.has(k)) continue;
      seen.add(k);
      columns.push(k);
    }
  }
  return stringify(records.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c]))), { header: true, columns, record_delimiter: 'windows' });
}

/** The journal with one row per line: each line beside its entry's number, date and memo. */
export function journalToCsv(entries: JournalEntry[]): string {
  const columns = ['entryId', 'number', 'date', 'memo', 'sourceType', 'sourceId', 'reversalOf', 'lineNo', 'accountCode', 'accountName', 'direction', 'amount', 'currency', 'baseAmount', 'description', 'invoiceId', 'customerId', 'billId', 'vendorId'];
  const rows = entries.flatMap((e) => e.lines.map((l, i) => [e.id, e.number, e.date, e.memo, e.source?.type, e.source?.id, e.reversalOf, i + 1, l.accountCode, l.accountName, l.direction, l.amount, l.currency, l.baseAmount, l.description, l.invoiceId, l.customerId, l.billId, l.vendorId].map(cell)));
  return stringify(rows, { header: true, columns, record_delimiter: 'windows' });
}

export function createExportService(deps: { knex: Knex; events: EventStore; sources: ExportSources }): ExportService {
  const { knex, sources } = deps;

  async function record(organizationId: string, summary: Record<string, unknown>, meta: EventMetadata): Promise<void> {
    await knex.transaction((trx) => deps.events.append(trx, [{ type: 'system.data_exported', aggregateType: 'organization', aggregateId: organizationId, organizationId, data: { object: { object: 'data_export_summary', ...summary } } }], meta));
  }

  return {
    async export(organizationId, query, meta) {
      const format = query.format ?? 'json';
      const exportedAt = new Date().toISOString();
      if (format === 'csv') {
        if (!query.entity) throw validationFailed([{ field: '/entity', in: 'query', message: 'is required with format=csv (one kind of record per CSV file)' }]);
        const records = await readAll(sources[query.entity], organizationId);
        const csv = query.entity === 'journal' ? journalToCsv(records as JournalEntry[]) : recordsToCsv(records);
        await record(organizationId, { format, exportedAt, counts: { [query.entity]: records.length } }, meta);
        return { csv, entity: query.entity };
      }
      const entities = query.entity ? [query.entity] : (Object.keys(sources) as ExportEntity[]);
      const data: Record<string, object[]> = {};
      const counts: Record<string, number> = {};
      for (const entity of entities) {
        data[entity] = await readAll(sources[entity], organizationId);
        counts[entity] = data[entity].length;
      }
      await record(organizationId, { format, exportedAt, counts }, meta);
      return { json: { object: 'data_export', organizationId, exportedAt, counts, data } };
    },
  };
}
