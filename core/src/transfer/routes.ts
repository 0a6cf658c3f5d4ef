import { defineRoute, type Route } from '../http/route.js';
import type { ExportService } from './export.js';
import type { ImportEntity, ImportService } from './import.js';

const org = '/v1/organizations/:orgId';

function importRoute(imports: ImportService, entity: ImportEntity, schema: string): Route {
  return defineRoute({
    method: 'POST', path: `${org}/import/${entity}`, operationId: `import${entity[0]?.toUpperCase()}${entity.slice(1)}`, tag: 'Import and export', summary: `Import ${entity} from CSV`,
    description: `Each row of the CSV in \`csv\` is a ${schema} (columns named after its fields; empty cells left out). Valid rows are created (their events carry source IMPORT), invalid rows are reported with their line number and reasons, and nothing else is refused: the response is 200 with the report either way. A file that cannot be parsed, has unknown columns or more than 5,000 rows is refused with 400 and nothing is imported. Records system.data_imported.`,
    body: 'ImportRequest', response: { status: 200, schema: 'ImportReport' },
    handler: ({ organizationId, body, actor }) => imports.import(organizationId, entity, body.csv, actor.eventMetadata),
  });
}

export function createTransferRoutes(deps: { exports: ExportService; imports: ImportService }): Route[] {
  const { exports, imports } = deps;
  return [
    defineRoute({
      method: 'GET', path: `${org}/export`, operationId: 'exportData', tag: 'Import and export', summary: "Export the organization's data",
      description: 'format=json (default): every kind of record (or only `entity`) as the API returns it, with counts. format=csv: one kind of record per request (`entity` required), one row per record with nested values as JSON text, `text/csv`; the journal (`entity=journal`) has one row per journal line. Records system.data_exported.',
      query: 'ExportQuery', response: { status: 200, schema: 'DataExport', alsoContentTypes: ['text/csv'] },
      handler: async ({ organizationId, query, actor, ctx }) => {
        const result = await exports.export(organizationId, query, actor.eventMetadata);
        if ('json' in result) return result.json;
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="${result.entity}.csv"`);
        ctx.body = result.csv;
        return undefined;
      },
    }),
    importRoute(imports, 'customers', 'CustomerCreate'),
    importRoute(imports, 'vendors', 'VendorCreate'),
    importRoute(imports, 'products', 'ProductCreate'),
  ];
}
