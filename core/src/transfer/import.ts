import type { Knex } from 'knex';
import { parse, CsvError } from 'csv-parse/sync';
import type { EventMetadata, ImportReport } from '@uah/schemas';
import { AppError, validationFailed } from '../http/errors.js';
import { validateInput } from '../http/validate.js';
import type { SchemaName } from '../http/route.js';
import type { EventStore } from '../events/store.js';

export type ImportEntity = ImportReport['entity'];

/** How one kind of record is imported: the create request its rows become and the service call that creates one. */
export interface ImportTarget {
  schema: SchemaName;
  /** Columns that hold integers and booleans (cells are text). */
  integers?: string[];
  booleans?: string[];
  /** Nested objects written as `parent.field` columns (e.g. `billingAddress.line1`). */
  nested?: string[];
  create(organizationId: string, body: never, meta: EventMetadata): Promise<{ id: string }>;
}

const MAX_ROWS = 5000;

type Row = Record<string, string>;

/** A row's cells as a create request: empty cells left out, integers and booleans typed, dotted columns nested. */
function toBody(row: Row, target: ImportTarget): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(row)) {
    if (raw === '') continue;
    let value: unknown = raw;
    if (target.integers?.includes(column) && /^-?\d{1,16}$/.test(raw.trim())) value = Number(raw.trim());
    if (target.booleans?.includes(column) && /^(true|false)$/i.test(raw.trim())) value = raw.trim().toLowerCase() === 'true';
    const [parent, child] = column.split('.', 2);
    if (child !== undefined && parent !== undefined) body[parent] = { ...(body[parent] as Record<string, unknown> | undefined), [child]: value };
    else body[column] = value;
  }
  return body;
}

function parseCsv(text: string): Array<{ record: Row; line: number }> {
  try {
    const parsed = parse<Row>(text, { columns: true, bom: true, skip_empty_lines: true, info: true, max_record_size: 100_000 }) as unknown as Array<{ record: Row; info: { lines: number } }>;
    return parsed.map((p) => ({ record: p.record, line: p.info.lines }));
  } catch (error) {
    if (error instanceof CsvError) throw validationFailed([{ field: '/csv', in: 'body', message: error.message }], `The CSV cannot be read: ${error.message}`);
    throw error;
  }
}

function checkHeader(rows: Array<{ record: Row }>, target: ImportTarget, allowed: Set<string>): void {
  const columns = Object.keys(rows[0]?.record ?? {});
  const unknown = columns.filter((c) => !allowed.has(c) && !(target.nested ?? []).some((n) => c.startsWith(`${n}.`)));
  if (unknown.length > 0) throw validationFailed(unknown.map((c) => ({ field: '/csv', in: 'body', message: `unknown column ${c}` })), `Unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
  if (rows.length > MAX_ROWS) throw validationFailed([{ field: '/csv', in: 'body', message: `more than ${MAX_ROWS} rows` }], `The file has ${rows.length} rows; at most ${MAX_ROWS} are imported at once.`);
}

export interface ImportService {
  /** Imports the valid rows of a CSV file and reports the others by line; records system.data_imported. */
  import(organizationId: string, entity: ImportEntity, csv: string, meta: EventMetadata): Promise<ImportReport>;
}

export function createImportService(deps: { knex: Knex; events: EventStore; targets: Record<ImportEntity, ImportTarget>; columnsOf: (schema: SchemaName) => string[] }): ImportService {
  return {
    async import(organizationId, entity, csv, meta) {
      const target = deps.targets[entity];
      const rows = parseCsv(csv);
      checkHeader(rows, target, new Set(deps.columnsOf(target.schema)));
      const report: ImportReport = { object: 'import_report', entity, rows: rows.length, imported: 0, failed: 0, created: [], errors: [] };
      const source: EventMetadata = { ...meta, source: 'IMPORT' };
      for (const { record, line } of rows) {
        try {
          const body = toBody(record, target);
          validateInput(target.schema, 'body', body);
          const created = await target.create(organizationId, body as never, source);
          report.created.push({ line, id: created.id });
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          const errors = error.errors?.length ? error.errors.map((e) => ({ field: e.field.replace(/^\//, '').replace(/\//g, '.') || '(row)', message: e.message })) : [{ field: '(row)', message: error.message }];
          report.errors.push({ line, errors });
        }
      }
      report.imported = report.created.length;
      report.failed = report.errors.length;
      const summary = { object: 'data_import_summary', entity, rows: report.rows, imported: report.imported, failed: report.failed, created: report.created.map((c) => c.id) };
      await deps.knex.transaction((trx) => deps.events.append(trx, [{ type: 'system.data_imported', aggregateType: 'organization', aggregateId: organizationId, organizationId, data: { object: summary } }], meta));
      return report;
    },
  };
}
