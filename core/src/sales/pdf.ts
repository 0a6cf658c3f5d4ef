import PDFDocument from 'pdfkit';
import type { Address, CurrencyCode, Customer, Organization, SalesLine, SalesTaxSummary } from '@uah/schemas';
import { formatDecimal, formatMinor } from '../shared/money.js';

/** What a sales document PDF shows; invoices, quotes and credit notes all render through it. */
export interface SalesDocumentView {
  title: string;
  number: string | null;
  dates: Array<[label: string, value: string]>;
  organization: Pick<Organization, 'name'>;
  customer: Pick<Customer, 'displayName' | 'email' | 'billingAddress'>;
  currency: CurrencyCode;
  lines: SalesLine[];
  taxes: SalesTaxSummary[];
  /** Rows of the totals block, in order; the last one is printed in bold. */
  totals: Array<[label: string, amount: number]>;
  notes: string | null;
}

const PAGE = { width: 595.28, height: 841.89, margin: 50 };
const COLUMNS: Array<{ label: string; x: number; width: number; align: 'left' | 'right' }> = [
  { label: 'Description', x: 50, width: 190, align: 'left' },
  { label: 'Qty', x: 240, width: 45, align: 'right' },
  { label: 'Unit price', x: 285, width: 75, align: 'right' },
  { label: 'Discount', x: 360, width: 60, align: 'right' },
  { label: 'Tax', x: 420, width: 45, align: 'right' },
  { label: 'Amount', x: 465, width: 80, align: 'right' },
];

export const money = (amount: number, currency: CurrencyCode): string => `${formatMinor(amount, currency)} ${currency}`;
const percent = (basisPoints: number): string => `${formatDecimal(BigInt(basisPoints), 2)}%`;

function addressLines(address: Address | null): string[] {
  if (!address) return [];
  const cityLine = [address.postalCode, address.city, address.region].filter(Boolean).join(' ');
  return [address.line1, address.line2, cityLine, address.country].filter((l): l is string => Boolean(l));
}

function lineCells(line: SalesLine, currency: CurrencyCode): string[] {
  const discount = line.discount === null ? '' : line.discount.type === 'PERCENT' ? percent(line.discount.basisPoints) : formatMinor(line.discountAmount, currency);
  const tax = line.taxRateBasisPoints === null ? '' : percent(line.taxRateBasisPoints);
  return [line.description, line.quantity, formatMinor(line.unitPrice, currency), discount, tax, formatMinor(line.netAmount, currency)];
}

/** Renders a sales document as a PDF (A4, the standard Helvetica fonts). */
export function renderSalesDocumentPdf(view: SalesDocumentView, options: { compress?: boolean } = {}): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: PAGE.margin, compress: options.compress ?? true, info: { Title: `${view.title} ${view.number ?? 'draft'}`, Author: view.organization.name } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  header(doc, view);
  let y = table(doc, view, 250);
  y = taxSummary(doc, view, y + 15);
  totals(doc, view, y + 10);
  doc.end();
  return done;
}

function header(doc: PDFKit.PDFDocument, view: SalesDocumentView): void {
  doc.font('Helvetica-Bold').fontSize(18).text(view.organization.name, PAGE.margin, PAGE.margin, { width: 280 });
  doc.font('Helvetica-Bold').fontSize(20).text(view.title.toUpperCase(), 330, PAGE.margin, { width: 215, align: 'right' });
  doc.font('Helvetica').fontSize(10).text(view.number ?? 'DRAFT', 330, 76, { width: 215, align: 'right' });
  let y = 96;
  for (const [label, value] of view.dates) {
    doc.text(`${label}: ${value}`, 330, y, { width: 215, align: 'right' });
    y += 14;
  }
  doc.font('Helvetica-Bold').fontSize(10).text('Bill to', PAGE.margin, 130);
  doc.font('Helvetica');
  y = 145;
  for (const text of [view.customer.displayName, view.customer.email, ...addressLines(view.customer.billingAddress)]) {
    if (!text) continue;
    doc.text(text, PAGE.margin, y, { width: 260 });
    y += 13;
  }
}

function row(doc: PDFKit.PDFDocument, cells: string[], y: number): number {
  let height = 0;
  COLUMNS.forEach((column, i) => {
    const text = cells[i] ?? '';
    doc.text(text, column.x, y, { width: column.width - 4, align: column.align });
    height = Math.max(height, doc.heightOfString(text, { width: column.width - 4 }));
  });
  return y + height + 6;
}

function table(doc: PDFKit.PDFDocument, view: SalesDocumentView, top: number): number {
  doc.font('Helvetica-Bold').fontSize(9);
  let y = row(doc, COLUMNS.map((c) => c.label), top);
  doc.moveTo(PAGE.margin, y - 3).lineTo(PAGE.width - PAGE.margin, y - 3).stroke();
  doc.font('Helvetica');
  for (const line of view.lines) {
    if (y > PAGE.height - 120) {
      doc.addPage();
      y = PAGE.margin;
    }
    y = row(doc, lineCells(line, view.currency), y);
  }
  doc.moveTo(PAGE.margin, y).lineTo(PAGE.width - PAGE.margin, y).stroke();
  return y;
}

function taxSummary(doc: PDFKit.PDFDocument, view: SalesDocumentView, top: number): number {
  let y = top;
  if (view.taxes.length === 0) return y;
  doc.font('Helvetica-Bold').fontSize(9).text('Tax summary', PAGE.margin, y);
  doc.font('Helvetica');
  y += 14;
  for (const tax of view.taxes) {
    if (y > PAGE.height - 100) {
      doc.addPage();
      y = PAGE.margin;
    }
    doc.text(`${tax.name} (${percent(tax.basisPoints)}) on ${money(tax.taxableAmount, view.currency)}: ${money(tax.amount, view.currency)}`, PAGE.margin, y, { width: 300 });
    y += 13;
  }
  return y;
}

function totals(doc: PDFKit.PDFDocument, view: SalesDocumentView, top: number): void {
  let y = top;
  if (y > PAGE.height - 40 - view.totals.length * 15) {
    doc.addPage();
    y = PAGE.margin;
  }
  view.totals.forEach(([label, amount], i) => {
    doc.font(i === view.totals.length - 1 ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    doc.text(label, 330, y, { width: 110, align: 'left' });
    doc.text(money(amount, view.currency), 440, y, { width: 105, align: 'right' });
    y += 15;
  });
  if (view.notes) doc.font('Helvetica').fontSize(9).text(view.notes, PAGE.margin, y + 15, { width: PAGE.width - 2 * PAGE.margin });
}
