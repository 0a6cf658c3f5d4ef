import type { CurrencyCode } from '@uah/schemas';
import { find, findAll, leaf, parseOfxTree, type OfxNode } from './ofx-tree.js';
import { unreadable } from './problems.js';
import type { ParsedBalance, ParsedFile, ParsedStatement, ParsedTransaction } from './types.js';
import { currencyOf, isoDate, minorUnits, normaliseNumber } from './values.js';

const STATEMENTS = new Set(['STMTRS', 'CCSTMTRS']);

/** The OFX version: VERSION:102 in a 1.x header, VERSION="203" in the 2.x processing instruction. */
function versionOf(text: string, bodyAt: number): string | null {
  const head = text.slice(0, bodyAt);
  return /<\?OFX[^>]*VERSION\s*=\s*"(\d+)"/i.exec(head)?.[1] ?? /^\s*VERSION:\s*(\d+)/im.exec(head)?.[1] ?? null;
}

/**
 * An OFX date (YYYYMMDD, then optionally HHMMSS.XXX[offset:TZ]) as the calendar date the bank wrote: the
 * statement's day, not shifted to UTC. A few exports write dd/mm/yyyy; that is read too, with a warning.
 */
function ofxDate(raw: string | null, what: string, warnings: string[]): string | null {
  if (!raw) return null;
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(raw);
  if (m) return isoDate(m[1] ?? '', m[2] ?? '', m[3] ?? '', what, raw);
  const dmy = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(raw);
  if (dmy) {
    warnings.push(`${what} "${raw}" is not an OFX date; read as day/month/year.`);
    return isoDate(dmy[3] ?? '', dmy[2] ?? '', dmy[1] ?? '', what, raw);
  }
  throw unreadable(`${what}: "${raw.slice(0, 40)}" is not an OFX date (YYYYMMDD...).`);
}

/**
 * An OFX amount. The specification allows a decimal point or a comma; a balance written with a currency
 * symbol and thousands dots ("R$ 5.326,43") is read the way OFX libraries read it, with a warning.
 */
function ofxAmount(raw: string, currency: CurrencyCode, what: string, warnings: string[]): number {
  if (/^[+-]?\d+([.,]\d*)?$/.test(raw)) return minorUnits(raw.replace(',', '.'), currency, what);
  const stripped = raw.replace(/[^\d.,+-]/g, '');
  const decimal = stripped.lastIndexOf(',') > stripped.lastIndexOf('.') ? ',' : '.';
  const plain = normaliseNumber(stripped, decimal, decimal === ',' ? '.' : ',');
  if (!/^[+-]?\d+(\.\d+)?$/.test(plain)) throw unreadable(`${what}: "${raw.slice(0, 40)}" is not an amount.`);
  warnings.push(`${what} "${raw}" is not an OFX amount; read as ${plain}.`);
  return minorUnits(plain, currency, what);
}

function balanceOf(node: OfxNode | undefined, type: string, currency: CurrencyCode, where: string, warnings: string[]): ParsedBalance | null {
  if (!node) return null;
  const amount = leaf(node, 'BALAMT');
  if (!amount) {
    warnings.push(`${where}: ${type} balance has no amount; it was left out.`);
    return null;
  }
  return { type, amount: ofxAmount(amount, currency, `${where} ${type} BALAMT`, warnings), currency, date: ofxDate(leaf(node, 'DTASOF'), `${where} ${type} DTASOF`, warnings) };
}

function transactionOf(node: OfxNode, currency: CurrencyCode, where: string, warnings: string[]): ParsedTransaction {
  const amountText = leaf(node, 'TRNAMT');
  if (!amountText) throw unreadable(`${where}: a transaction has no TRNAMT.`);
  const own = currencyOf(leaf(find(node, 'CURRENCY') ?? find(node, 'ORIGCURRENCY'), 'CURSYM'), `${where} CURSYM`);
  // CURRENCY/ORIGCURRENCY with a rate other than 1 states the original amount's currency, not the booked one.
  const rate = leaf(find(node, 'CURRENCY') ?? find(node, 'ORIGCURRENCY'), 'CURRATE');
  const lineCurrency = own && (!rate || Number(rate) === 1) ? own : currency;
  const date = ofxDate(leaf(node, 'DTPOSTED') ?? leaf(node, 'DTUSER'), `${where} DTPOSTED`, warnings);
  if (!date) throw unreadable(`${where}: a transaction has no DTPOSTED.`);
  const name = leaf(node, 'NAME') ?? leaf(find(node, 'PAYEE'), 'NAME');
  const memo = leaf(node, 'MEMO');
  const balance = leaf(node, 'ACCTBAL');
  return {
    bankRef: leaf(node, 'FITID'),
    date,
    valueDate: ofxDate(leaf(node, 'DTAVAIL'), `${where} DTAVAIL`, warnings),
    amount: ofxAmount(amountText, lineCurrency, `${where} TRNAMT`, warnings),
    currency: lineCurrency,
    description: name && memo ? (memo.includes(name) ? memo : `${name} / ${memo}`) : (memo ?? name ?? ''),
    counterparty: name,
    reference: leaf(node, 'REFNUM') ?? leaf(node, 'CHECKNUM'),
    type: leaf(node, 'TRNTYPE')?.toUpperCase() ?? null,
    runningBalance: balance ? ofxAmount(balance, lineCurrency, `${where} ACCTBAL`, warnings) : null,
  };
}

function statementOf(node: OfxNode, index: number, fallbackCurrency: CurrencyCode, warnings: string[]): ParsedStatement {
  const where = `Statement ${index + 1}`;
  const account = find(node, 'BANKACCTFROM') ?? find(node, 'CCACCTFROM');
  const stated = currencyOf(leaf(node, 'CURDEF'), `${where} CURDEF`);
  const list = find(node, 'BANKTRANLIST');
  const lines = list ? list.children.filter((c) => c.name === 'STMTTRN') : [];
  const firstOwn = lines.length > 0 ? currencyOf(leaf(find(lines[0] as OfxNode, 'CURRENCY'), 'CURSYM'), `${where} CURSYM`) : null;
  const currency = stated ?? firstOwn ?? fallbackCurrency;
  if (!stated) warnings.push(`${where} has no CURDEF; its currency was taken as ${currency}${firstOwn ? ' from its transactions' : ' from the bank account'}.`);
  const balances = [balanceOf(find(node, 'LEDGERBAL'), 'LEDGER', currency, where, warnings), balanceOf(find(node, 'AVAILBAL'), 'AVAILABLE', currency, where, warnings)];
  return {
    accountNumber: leaf(account, 'ACCTID'),
    accountType: leaf(account, 'ACCTTYPE') ?? (node.name === 'CCSTMTRS' ? 'CREDITCARD' : null),
    currency,
    from: ofxDate(leaf(list, 'DTSTART'), `${where} DTSTART`, warnings),
    to: ofxDate(leaf(list, 'DTEND'), `${where} DTEND`, warnings),
    balances: balances.filter((b): b is ParsedBalance => b !== null),
    transactions: lines.map((line) => transactionOf(line, currency, where, warnings)),
  };
}

/** OFX 1.x (SGML) and 2.x (XML) bank and credit-card statements; QFX is OFX with Intuit's extra elements. */
export function parseOfx(text: string, encoding: string, fallbackCurrency: CurrencyCode, warnings: string[]): ParsedFile {
  const bodyAt = text.search(/<OFX>/i);
  if (bodyAt < 0) throw unreadable('The file has no <OFX> element.');
  if (/<!DOCTYPE|<!ENTITY/i.test(text.slice(0, bodyAt))) throw unreadable('The OFX file carries a DOCTYPE or entity declarations, which are refused.');
  const tree = parseOfxTree(text.slice(bodyAt));
  const qfx = find(tree, 'INTU.BID') !== undefined;
  const statements = findAll(tree, STATEMENTS).map((node, i) => statementOf(node, i, fallbackCurrency, warnings));
  if (statements.length === 0) throw unreadable('The OFX file holds no bank or credit-card statement (STMTRS or CCSTMTRS).');
  return { format: qfx ? 'QFX' : 'OFX', formatVersion: versionOf(text, bodyAt), encoding, statements, warnings };
}
