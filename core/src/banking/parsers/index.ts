import { createHash } from 'node:crypto';
import type { BankStatementImportCreate, CurrencyCode } from '@uah/schemas';
import { parseCamt053 } from './camt.js';
import { parseCsv } from './csv.js';
import { decodeStatement } from './decode.js';
import { parseOfx } from './ofx.js';
import { unreadable } from './problems.js';
import { MAX_TRANSACTIONS_PER_FILE, type ParsedFile, type ParsedTransaction } from './types.js';

export type { ParsedFile, ParsedStatement, ParsedTransaction, ParsedBalance, StatementFormat } from './types.js';

/** The file's bytes from the request: base64 or text, exactly one of them. */
export function fileBytes(input: Pick<BankStatementImportCreate, 'content' | 'contentBase64'>): Uint8Array {
  if ((input.content === undefined) === (input.contentBase64 === undefined)) throw unreadable('Send the file as `content` (text) or `contentBase64`, exactly one of them.');
  const bytes = input.contentBase64 !== undefined ? Buffer.from(input.contentBase64, 'base64') : Buffer.from(input.content ?? '', 'utf8');
  if (bytes.length === 0) throw unreadable('The file is empty.');
  return bytes;
}

function detect(text: string, requested: BankStatementImportCreate['format']): 'OFX' | 'CAMT053' | 'CSV' {
  if (requested === 'CSV') return 'CSV';
  const head = text.slice(0, 4096);
  const ofx = /OFXHEADER|<OFX>/i.test(head);
  const xml = /^\s*<(\?xml|Document[\s>])/.test(text);
  if ((requested === 'OFX' || requested === 'QFX') && !ofx) throw unreadable(`The file is not ${requested}: it has no OFX header and no <OFX> element near its start.`);
  if (requested === 'CAMT053' && !xml) throw unreadable('The file is not a camt.053 XML document.');
  if (ofx) return 'OFX';
  if (xml) return 'CAMT053';
  throw unreadable('The file is neither OFX/QFX nor ISO 20022 camt.053 XML; a CSV file needs `format: "CSV"` and a `csv` column mapping.');
}

/** Reads a statement file of any supported format into statements of transactions (no ids yet). */
export function parseStatementFile(input: BankStatementImportCreate, fallbackCurrency: CurrencyCode): ParsedFile & { sha256: string } {
  const bytes = fileBytes(input);
  // Text sent as `content` is already decoded: whatever charset the file declares, its bytes here are UTF-8.
  const { text, encoding, warnings } = decodeStatement(bytes, input.content !== undefined ? 'utf-8' : input.encoding);
  const format = detect(text, input.format ?? 'AUTO');
  if (format === 'CSV' && !input.csv) throw unreadable('A CSV file needs a `csv` column mapping.');
  const parsed = format === 'OFX' ? parseOfx(text, encoding, fallbackCurrency, warnings)
    : format === 'CAMT053' ? parseCamt053(text, encoding, warnings)
      : parseCsv(text, encoding, input.csv ?? { columns: { date: 0 } }, fallbackCurrency, warnings);
  const count = parsed.statements.reduce((n, s) => n + s.transactions.length, 0);
  if (count > MAX_TRANSACTIONS_PER_FILE) throw unreadable(`The file holds ${count} transactions; at most ${MAX_TRANSACTIONS_PER_FILE} are imported at once: split it by period.`);
  if (input.format === 'QFX' && parsed.format === 'OFX') parsed.format = 'QFX';
  return { ...parsed, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const clean = (s: string | null): string => (s ?? '').normalize('NFC').replace(/\s+/g, ' ').trim().toUpperCase();

/**
 * The id each transaction is stored under. The bank's own id when it is unique within the statement;
 * otherwise (no id, or one the bank repeats across lines) a hash of the account, date, amount, currency and
 * text plus the line's rank among identical lines of that day, so that a later file holding the same day
 * gives the same ids, and two genuinely identical lines both stay.
 */
export function sourceIds(accountNumber: string | null, transactions: ParsedTransaction[]): string[] {
  const refCounts = new Map<string, number>();
  for (const t of transactions) if (t.bankRef) refCounts.set(t.bankRef, (refCounts.get(t.bankRef) ?? 0) + 1);
  const seen = new Map<string, number>();
  return transactions.map((t) => {
    if (t.bankRef && refCounts.get(t.bankRef) === 1) return t.bankRef.slice(0, 200);
    const key = [clean(accountNumber), t.bankRef ?? '', t.date, t.amount, t.currency, clean(t.description), clean(t.counterparty), clean(t.reference)].join('|');
    const rank = (seen.get(key) ?? 0) + 1;
    seen.set(key, rank);
    return `h:${createHash('sha256').update(`${key}|${rank}`).digest('hex').slice(0, 40)}`;
  });
}
