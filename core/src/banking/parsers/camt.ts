import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CurrencyCode } from '@uah/schemas';
import { decodeEntities } from './ofx-tree.js';
import { unreadable } from './problems.js';
import type { ParsedBalance, ParsedFile, ParsedStatement, ParsedTransaction } from './types.js';
import { currencyOf, isoDate, minorUnits } from './values.js';

type Node = Record<string, unknown>;
const SUPPORTED = /^camt\.053\.001\.0[2-8]$/;
const REPEATED = new Set(['Stmt', 'Bal', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'AddtlTxInf', 'AddtlNtryInf']);

/**
 * fast-xml-parser with entity expansion off (`processEntities: false`): a DOCTYPE is refused before
 * parsing anyway, and the predefined entities are decoded in text values by `decodeEntities` only, so no
 * declared entity can ever be expanded. Values stay strings (no number guessing on amounts or ids).
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

const obj = (v: unknown): Node | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const arr = (v: unknown): Node[] => (Array.isArray(v) ? v.filter((x): x is Node => !!obj(x)) : obj(v) ? [v as Node] : []);
function at(node: unknown, ...path: string[]): unknown {
  let cur: unknown = node;
  for (const key of path) cur = Array.isArray(cur) ? obj(cur[0])?.[key] : obj(cur)?.[key];
  return cur;
}
function text(node: unknown, ...path: string[]): string | null {
  let v = at(node, ...path);
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'string') return decodeEntities(v).trim() || null;
  const inner = obj(v)?.['#text'];
  return typeof inner === 'string' ? decodeEntities(inner).trim() || null : null;
}
const attr = (node: unknown, name: string): string | null => {
  const v = obj(Array.isArray(node) ? node[0] : node)?.[`@${name}`];
  return typeof v === 'string' ? v : null;
};

function dateOf(node: unknown, what: string): string | null {
  const raw = text(node, 'Dt') ?? text(node, 'DtTm');
  if (!raw) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  if (!m) throw unreadable(`${what}: "${raw.slice(0, 40)}" is not an ISO date.`);
  return isoDate(m[1] ?? '', m[2] ?? '', m[3] ?? '', what, raw);
}

function amountOf(node: unknown, what: string, fallback: CurrencyCode | null): { amount: number; currency: CurrencyCode } {
  const raw = text(node, 'Amt');
  const currency = currencyOf(attr(at(node, 'Amt'), 'Ccy'), `${what} Ccy`) ?? fallback;
  if (!raw || !currency) throw unreadable(`${what} has no amount with a currency.`);
  const amount = minorUnits(raw, currency, `${what} Amt`);
  const sign = text(node, 'CdtDbtInd');
  if (sign !== 'CRDT' && sign !== 'DBIT') throw unreadable(`${what}: CdtDbtInd "${sign ?? ''}" is neither CRDT nor DBIT.`);
  return { amount: sign === 'DBIT' ? -amount : amount, currency };
}

/** The other party: the debtor of money received, the creditor of money paid (v08 nests it in Pty). */
function counterpartyOf(details: Node | undefined, credit: boolean): string | null {
  const party = at(details, 'RltdPties', credit ? 'Dbtr' : 'Cdtr');
  return text(party, 'Nm') ?? text(party, 'Pty', 'Nm');
}

function entryOf(entry: Node, where: string, fallback: CurrencyCode | null): ParsedTransaction {
  const { amount, currency } = amountOf(entry, where, fallback);
  const details = arr(at(entry, 'NtryDtls')).flatMap((d) => arr(d['TxDtls']));
  const first = details[0];
  const date = dateOf(at(entry, 'BookgDt'), `${where} BookgDt`) ?? dateOf(at(entry, 'ValDt'), `${where} ValDt`);
  if (!date) throw unreadable(`${where} has no booking or value date.`);
  const remittance = details.flatMap((d) => arr(at(d, 'RmtInf')).flatMap((r) => (Array.isArray(r['Ustrd']) ? (r['Ustrd'] as unknown[]) : [])).map((u) => (typeof u === 'string' ? decodeEntities(u).trim() : '')));
  const info = (Array.isArray(entry['AddtlNtryInf']) ? entry['AddtlNtryInf'] : []).map((s: unknown) => (typeof s === 'string' ? decodeEntities(s) : ''));
  const description = [...info, ...remittance].map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean).filter((s, i, all) => all.indexOf(s) === i).join(' / ');
  const endToEnd = text(first, 'Refs', 'EndToEndId');
  const family = at(entry, 'BkTxCd', 'Domn');
  return {
    bankRef: text(entry, 'AcctSvcrRef') ?? text(entry, 'NtryRef'),
    date,
    valueDate: dateOf(at(entry, 'ValDt'), `${where} ValDt`),
    amount,
    currency,
    description,
    counterparty: counterpartyOf(first, amount >= 0),
    reference: text(first, 'RmtInf', 'Strd', 'CdtrRefInf', 'Ref') ?? (endToEnd && endToEnd !== 'NOTPROVIDED' ? endToEnd : null),
    type: family ? [text(family, 'Cd'), text(family, 'Fmly', 'Cd'), text(family, 'Fmly', 'SubFmlyCd')].filter(Boolean).join('/') : text(entry, 'BkTxCd', 'Prtry', 'Cd'),
    runningBalance: null,
  };
}

/**
 * Opening (OPBD, else PRCD) plus the entries in the account currency should give the closing balance
 * (CLBD). Banks' sample files often do not; the statement is still imported, with a warning that says by
 * how much, since the entries are the facts and the balances only a check.
 */
function checkContinuity(where: string, currency: CurrencyCode | null, balances: ParsedBalance[], transactions: ParsedTransaction[], warnings: string[]): void {
  const opening = balances.find((b) => b.type === 'OPBD') ?? balances.find((b) => b.type === 'PRCD');
  const closing = balances.find((b) => b.type === 'CLBD');
  if (!currency || !opening || !closing || opening.currency !== currency || closing.currency !== currency) return;
  const net = transactions.filter((t) => t.currency === currency).reduce((s, t) => s + t.amount, 0);
  if (opening.amount + net === closing.amount) return;
  const others = transactions.filter((t) => t.currency !== currency).length;
  warnings.push(`${where}: opening ${opening.type} ${opening.amount} + entries in ${currency} ${net} = ${opening.amount + net}, but the closing balance CLBD is ${closing.amount} (minor units)${others ? `; ${others} entr${others === 1 ? 'y is' : 'ies are'} in another currency` : ''}.`);
}

function statementOf(stmt: Node, index: number, warnings: string[]): ParsedStatement {
  const where = `Statement ${index + 1}`;
  const account = at(stmt, 'Acct');
  const balanceNodes = arr(stmt['Bal']);
  const currency = currencyOf(text(account, 'Ccy'), `${where} Acct/Ccy`) ?? currencyOf(attr(at(balanceNodes[0], 'Amt'), 'Ccy'), `${where} Bal Ccy`);
  const balances: ParsedBalance[] = balanceNodes.map((b, i) => {
    const { amount, currency: c } = amountOf(b, `${where} balance ${i + 1}`, currency);
    return { type: text(b, 'Tp', 'CdOrPrtry', 'Cd') ?? text(b, 'Tp', 'CdOrPrtry', 'Prtry') ?? 'UNKNOWN', amount, currency: c, date: dateOf(at(b, 'Dt'), `${where} balance ${i + 1} Dt`) };
  });
  const transactions: ParsedTransaction[] = [];
  arr(stmt['Ntry']).forEach((entry, i) => {
    const status = text(entry, 'Sts') ?? text(entry, 'Sts', 'Cd');
    if (status && status !== 'BOOK') {
      warnings.push(`${where} entry ${i + 1} has status ${status}, not BOOK (booked); it was left out.`);
      return;
    }
    transactions.push(entryOf(entry, `${where} entry ${i + 1}`, currency));
  });
  checkContinuity(where, currency, balances, transactions, warnings);
  const period = at(stmt, 'FrToDt');
  const day = (v: string | null): string | null => (v ? /^\d{4}-\d{2}-\d{2}/.exec(v)?.[0] ?? null : null);
  return {
    accountNumber: text(account, 'Id', 'IBAN') ?? text(account, 'Id', 'Othr', 'Id'),
    accountType: text(account, 'Tp', 'Cd') ?? text(account, 'Tp', 'Prtry'),
    currency: currency ?? transactions[0]?.currency ?? null,
    from: day(text(period, 'FrDtTm')),
    to: day(text(period, 'ToDtTm')),
    balances,
    transactions,
  };
}

/** ISO 20022 bank-to-customer statements, camt.053.001.02 to .08. */
export function parseCamt053(xml: string, encoding: string, warnings: string[]): ParsedFile {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw unreadable('The XML carries a DOCTYPE or entity declarations, which are refused (entity expansion is never done).');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw unreadable(`The XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col}).`);
  const namespace = /xmlns(?::\w+)?\s*=\s*["']urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}\.\d{3}\.\d{2})["']/.exec(xml)?.[1];
  if (!namespace) throw unreadable('The XML is not an ISO 20022 camt message (no urn:iso:std:iso:20022:tech:xsd namespace).');
  if (!SUPPORTED.test(namespace)) throw unreadable(`${namespace} is not supported: statements are read from camt.053.001.02 to camt.053.001.08.`);
  const doc = parser.parse(xml) as Node;
  const statements = arr(at(doc, 'Document', 'BkToCstmrStmt', 'Stmt')).map((s, i) => statementOf(s, i, warnings));
  if (statements.length === 0) throw unreadable('The camt.053 document holds no statement (Stmt).');
  return { format: 'CAMT053', formatVersion: namespace, encoding, statements, warnings };
}
