import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import type { TestHub } from '../testing/harness.js';

/** Test helpers of the sales context (used by its tests only). */

export interface SalesFixture {
  org: { id: string; apiKey: string };
  path: (rest: string) => string;
  customerId: string;
  /** 825 bp, credited to sales tax payable. */
  stateTax: string;
  /** 500 bp. */
  cityTax: string;
  /** INVENTORY product, 25.00, default tax: stateTax. */
  widget: string;
  /** SERVICE product, 120.00 per hour, no default tax. */
  consulting: string;
}

export async function setupSales(hub: TestHub, name = 'Acme Ltd', currency = 'USD'): Promise<SalesFixture> {
  const org = await hub.createOrganization(name, currency);
  const token = org.apiKey;
  const path = (rest: string) => `/v1/organizations/${org.id}${rest}`;
  const post = async (p: string, body: unknown) => {
    const res = await hub.request('POST', path(p), { body, token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const customerId = await post('/customers', { firstName: 'Jane', lastName: 'Roe', businessName: 'Roe Trading', email: 'jane@roe.example', billingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } });
  const stateTax = await post('/tax-rates', { name: 'State tax', basisPoints: 825 });
  const cityTax = await post('/tax-rates', { name: 'City tax', basisPoints: 500 });
  const widget = await post('/products', { sku: 'WIDGET-1', name: 'Widget', type: 'INVENTORY', unitPrice: 2500, unitCost: 1100, taxRateId: stateTax });
  const consulting = await post('/products', { sku: 'CONSULT', name: 'Consulting hour', type: 'SERVICE', unitPrice: 12000 });
  return { org, path, customerId, stateTax, cityTax, widget, consulting };
}

/** System accounts of the organization by key (from the ledger's account list). */
export async function accountIds(hub: TestHub, orgId: string, token: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor: string | null = null;
  do {
    const res: { body: { data: Array<{ id: string; systemKey: string | null; code: string }>; nextCursor: string | null } } = await hub.request('GET', `/v1/organizations/${orgId}/accounts?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token });
    for (const a of res.body.data) out[a.systemKey ?? a.code] = a.id;
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** The lines of a journal entry as `[accountId, direction, amount]`, sorted for comparison. */
export async function postings(hub: TestHub, orgId: string, token: string, entryId: string): Promise<Array<[string, string, number]>> {
  const res = await hub.request('GET', `/v1/organizations/${orgId}/journal-entries/${entryId}`, { token });
  expect(res.status).toBe(200);
  return sortPostings((res.body.lines as Array<{ accountId: string; direction: string; amount: number }>).map((l) => [l.accountId, l.direction, l.amount]));
}

export function sortPostings(lines: Array<[string, string, number]>): Array<[string, string, number]> {
  return [...lines].sort((a, b) => `${a[0]}${a[1]}${a[2]}`.localeCompare(`${b[0]}${b[1]}${b[2]}`));
}

export interface StoredEvent {
  type: string;
  aggregateType: string;
  version: number;
  data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> };
  metadata: Record<string, unknown>;
}

/**
 * The events recorded for one aggregate (or of one type), oldest first, read from the event table: the
 * API's event list holds back events while any older transaction of the cluster is still running (other
 * test files run beside this one), which would make assertions right after a write flaky.
 */
export async function storedEvents(hub: TestHub, where: { aggregateId?: string; type?: string }): Promise<StoredEvent[]> {
  const q = hub.db.knex('events').select('type', 'aggregate_type', 'version', 'data', 'metadata').orderBy('seq');
  if (where.aggregateId) q.where('aggregate_id', where.aggregateId);
  if (where.type) q.where('type', where.type);
  return (await q) as StoredEvent[];
}

/** Event types recorded for one aggregate, oldest first. */
export async function eventTypes(hub: TestHub, _orgId: string, _token: string, aggregateId: string): Promise<string[]> {
  return (await storedEvents(hub, { aggregateId })).map((e) => e.type);
}

/** Row counts of the tables a sales request may write, to prove a refused request wrote nothing. */
export async function writeCounts(hub: TestHub): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['invoices', 'quotes', 'credit_notes', 'products', 'tax_rates', 'journal_entries', 'journal_lines', 'events', 'invoice_settings']) {
    const row = await hub.db.knex(table).count<Array<{ n: number | string }>>({ n: '*' }).first();
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

/**
 * GETs a PDF. Not through `hub.request`: its OpenAPI check validates the body as a JSON string, which a binary
 * body (documented as `type: string, format: binary`) can never be.
 */
export async function getPdf(hub: TestHub, path: string, token: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(hub.baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/**
 * The text a PDF shows: every content stream (inflated when compressed), its `TJ`/`Tj` strings decoded
 * (pdfkit writes the standard fonts' text as hex strings), one text run per line.
 */
export function pdfText(pdf: Buffer): string {
  const source = pdf.toString('latin1');
  const runs: string[] = [];
  // pdfkit ends every stream keyword with a bare \n: a \r before `endstream` is data, not a line end.
  const streams = /stream\n([\s\S]*?)\nendstream/g;
  for (let m = streams.exec(source); m; m = streams.exec(source)) {
    const raw = Buffer.from(m[1] ?? '', 'latin1');
    let content: string;
    try {
      content = inflateSync(raw).toString('latin1');
    } catch {
      content = raw.toString('latin1');
    }
    for (const op of content.matchAll(/\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hexes = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1] ?? '') : [op[2] ?? ''];
      runs.push(hexes.map((h) => Buffer.from(h, 'hex').toString('latin1')).join(''));
    }
  }
  return runs.join('\n');
}
