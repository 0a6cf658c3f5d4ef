import type {
  DataExport, DocumentDryRun, ExportEntity, ImportReport, InventoryAdjustment, InventoryAdjustmentCreate, InventoryAdjustmentListQuery, InventorySettings,
  InventorySettingsUpdate, StockLevel, StockLevelListQuery,
} from '@uah/schemas';
import type { Page, PagedIterable } from '../paging.js';
import type { RequestOptions } from '../transport.js';
import type { DryRunOptions, DryRunWrite, ResourceContext } from './context.js';

export interface InventoryResource {
  /** A tracked product's quantity on hand and value at moving-average cost. */
  stock(productId: string, options?: RequestOptions): Promise<StockLevel>;
  list(query?: StockLevelListQuery, options?: RequestOptions): Promise<Page<StockLevel>>;
  iterate(query?: Omit<StockLevelListQuery, 'cursor'>, options?: RequestOptions): PagedIterable<StockLevel>;
  adjust: DryRunWrite<InventoryAdjustmentCreate, InventoryAdjustment, DocumentDryRun>;
  adjustments(query?: InventoryAdjustmentListQuery, options?: RequestOptions): Promise<Page<InventoryAdjustment>>;
  getAdjustment(id: string, options?: RequestOptions): Promise<InventoryAdjustment>;
  settings(options?: RequestOptions): Promise<InventorySettings>;
  updateSettings(body: InventorySettingsUpdate, options?: RequestOptions): Promise<InventorySettings>;
}

export interface DataTransferResource {
  /** Every kind of record (or one) and the journal, as JSON. */
  export(query?: { entity?: ExportEntity }, options?: RequestOptions): Promise<DataExport>;
  /** One kind of record as CSV text (the journal one row per line). */
  exportCsv(entity: ExportEntity, options?: RequestOptions): Promise<string>;
  /** Creates the valid rows of a CSV file; the report names the invalid ones by line. */
  import(entity: 'customers' | 'vendors' | 'products', csv: string, options?: RequestOptions): Promise<ImportReport>;
}

export function createInventoryResource(c: ResourceContext): InventoryResource {
  const base = (): string => `${c.org()}/inventory`;
  return {
    stock: (productId, o) => c.get(`${base()}/${c.id(productId)}`, undefined, o),
    list: (query, o) => c.get(base(), query, o),
    iterate: (query, o) => c.iterate(base(), query, o),
    adjust: ((body: InventoryAdjustmentCreate, o?: DryRunOptions) => c.post(`${c.org()}/inventory-adjustments`, body, o)) as InventoryResource['adjust'],
    adjustments: (query, o) => c.get(`${c.org()}/inventory-adjustments`, query, o),
    getAdjustment: (id, o) => c.get(`${c.org()}/inventory-adjustments/${c.id(id)}`, undefined, o),
    settings: (o) => c.get(`${c.org()}/inventory-settings`, undefined, o),
    updateSettings: (body, o) => c.put(`${c.org()}/inventory-settings`, body, o),
  };
}

export function createDataTransferResource(c: ResourceContext): DataTransferResource {
  return {
    export: (query, o) => c.get(`${c.org()}/export`, query, o),
    exportCsv: (entity, o) => c.getText(`${c.org()}/export`, { format: 'csv', entity }, o),
    import: (entity, csv, o) => c.post(`${c.org()}/import/${entity}`, { csv }, o),
  };
}
