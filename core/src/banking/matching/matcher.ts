/**
 * Bank reconciliation matching, in memory and without queries: open items are indexed by
 * (currency, direction, amount) and by their references, so each bank line looks at a handful of
 * candidates instead of every item. 100,000 lines against 100,000 items is a few hash look-ups each.
 */

export type OpenItemKind = 'PENDING_PAYMENT' | 'PAYMENT' | 'INVOICE' | 'BILL' | 'BILL_PAYMENT' | 'PAYOUT';

/** Something a bank line may settle: money expected in (CREDIT: payments, invoices) or out (DEBIT: bills, bill payments). */
export interface OpenItem {
  kind: OpenItemKind;
  id: string;
  direction: 'CREDIT' | 'DEBIT';
  /** What the bank line should show, > 0, minor units. */
  amount: number;
  currency: string;
  /** YYYY-MM-DD: the payment's date, or the invoice's (bill's) due date. */
  date: string;
  /** Invoice numbers, vendors' bill numbers and payment references that a payer writes in the transfer's text. */
  references: string[];
  /** The customer's (or vendor's) name. */
  party: string | null;
  label: string;
  /** Money already booked (a bill payment): the ledger account it left; lines that name their `accounts` see it only if among them. */
  accountId?: string;
}

export interface BankLine {
  id: string;
  /** Signed minor units: > 0 money in. */
  amount: number;
  currency: string;
  date: string;
  /** Description, counterparty and reference together. */
  text: string;
  /** The ledger accounts the line's money may have been booked on (its bank account's, the chart's Bank account). */
  accounts?: readonly string[];
}

export interface MatchOptions {
  threshold: number;
  windowDays: number;
  /** The best candidate must beat the second by this much to be taken without review. */
  margin: number;
  suggestions: number;
}

export const DEFAULT_MATCH_OPTIONS: MatchOptions = { threshold: 0.8, windowDays: 7, margin: 0.05, suggestions: 3 };

export interface Scored {
  item: OpenItem;
  score: number;
}

export interface MatchResult {
  matches: Array<{ line: BankLine; item: OpenItem; score: number }>;
  /** Ranked candidates of the lines left unmatched (lines without any candidate are absent). */
  suggestions: Map<string, Scored[]>;
}

const DAY = 86_400_000;
const dayNumber = (date: string): number => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);

/** A reference or text as comparable tokens: upper case, separators inside a token dropped ("INV-0012" → "INV0012"). */
export function tokens(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- only non-ASCII text needs its accents taken off
  const ascii = /^[\u0000-\u007f]*$/.test(text);
  return (ascii ? text.toUpperCase() : text.toUpperCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')).replace(/(?<=[A-Z0-9])[-/.](?=[A-Z0-9])/g, '').split(/[^A-Z0-9]+/).filter((t) => t.length >= 3);
}

interface Indexed {
  item: OpenItem;
  day: number;
  refs: string[];
  party: string[];
}

export interface ItemIndex {
  byAmount: Map<string, Indexed[]>;
  byRef: Map<string, Indexed[]>;
}

const amountKey = (currency: string, direction: string, amount: number): string => `${currency}|${direction}|${amount}`;

export function indexItems(items: OpenItem[]): ItemIndex {
  const byAmount = new Map<string, Indexed[]>();
  const byRef = new Map<string, Indexed[]>();
  for (const item of items) {
    const entry: Indexed = { item, day: dayNumber(item.date), refs: [...new Set(item.references.flatMap(tokens))], party: item.party ? tokens(item.party) : [] };
    const key = amountKey(item.currency, item.direction, item.amount);
    let bucket = byAmount.get(key);
    if (!bucket) byAmount.set(key, (bucket = []));
    bucket.push(entry);
    for (const ref of entry.refs) {
      let list = byRef.get(ref);
      if (!list) byRef.set(ref, (list = []));
      list.push(entry);
    }
  }
  return { byAmount, byRef };
}

/**
 * The score of one pairing, 0..1: amount 0.5 when equal (a reference match of another amount, a partial
 * payment, gets nothing here), the invoice number or payment reference in the text 0.3, date up to 0.1
 * falling linearly to 0 at the window's edge, and the share of the party's name words found in the text up
 * to 0.1. So an equal amount with the reference is enough at the default threshold 0.8; an equal amount on
 * the same day from the right name (0.7) is only suggested: the same customer often pays equal amounts.
 */
function score(line: BankLine, lineDay: number, words: Set<string>, entry: Indexed, options: MatchOptions): number {
  const equal = Math.abs(line.amount) === entry.item.amount;
  const distance = Math.abs(lineDay - entry.day);
  const date = distance > options.windowDays ? 0 : 0.1 * (1 - distance / (options.windowDays + 1));
  const ref = entry.refs.some((r) => words.has(r)) ? 0.3 : 0;
  const party = entry.party.length === 0 ? 0 : (0.1 * entry.party.filter((w) => words.has(w)).length) / entry.party.length;
  return Math.round(((equal ? 0.5 : 0) + date + ref + party) * 1000) / 1000;
}

/** Every candidate of a line, best first: same amount within the date window, or a reference in its text. */
export function candidatesFor(line: BankLine, index: ItemIndex, options: MatchOptions): Scored[] {
  const direction = line.amount >= 0 ? 'CREDIT' : 'DEBIT';
  const lineDay = dayNumber(line.date);
  const words = new Set(tokens(line.text));
  const seen = new Set<Indexed>();
  const booked = (entry: Indexed): boolean => !entry.item.accountId || !line.accounts || line.accounts.includes(entry.item.accountId);
  for (const entry of index.byAmount.get(amountKey(line.currency, direction, Math.abs(line.amount))) ?? []) {
    if (Math.abs(entry.day - lineDay) <= options.windowDays && booked(entry)) seen.add(entry);
  }
  for (const word of words) {
    for (const entry of index.byRef.get(word) ?? []) if (entry.item.currency === line.currency && entry.item.direction === direction && booked(entry)) seen.add(entry);
  }
  return [...seen].map((entry) => ({ item: entry.item, score: score(line, lineDay, words, entry, options) })).sort((a, b) => b.score - a.score || (a.item.id < b.item.id ? -1 : 1));
}

/**
 * Matches lines to items one to one. A line proposes its best candidate when it reaches the threshold
 * and clearly beats its second; an item proposed by several lines goes to the best of them only when it
 * clearly beats the next, otherwise all of them are left for review (near-duplicate payments).
 */
export function matchLines(lines: BankLine[], items: OpenItem[], partial: Partial<MatchOptions> = {}): MatchResult {
  const options = { ...DEFAULT_MATCH_OPTIONS, ...partial };
  const index = indexItems(items);
  const ranked = new Map<string, Scored[]>();
  const proposals = new Map<string, Array<{ line: BankLine; score: number }>>();
  for (const line of lines) {
    const candidates = candidatesFor(line, index, options);
    ranked.set(line.id, candidates);
    const [best, second] = candidates;
    if (!best || best.score < options.threshold || (second && best.score - second.score < options.margin)) continue;
    let list = proposals.get(best.item.id);
    if (!list) proposals.set(best.item.id, (list = []));
    list.push({ line, score: best.score });
  }
  const matches: MatchResult['matches'] = [];
  const matched = new Set<string>();
  for (const [, list] of proposals) {
    list.sort((a, b) => b.score - a.score);
    const [first, next] = list;
    if (!first || (next && first.score - next.score < options.margin)) continue;
    const best = ranked.get(first.line.id)?.[0];
    if (!best) continue;
    matches.push({ line: first.line, item: best.item, score: best.score });
    matched.add(first.line.id);
  }
  const suggestions = new Map<string, Scored[]>();
  for (const line of lines) {
    const list = ranked.get(line.id) ?? [];
    if (!matched.has(line.id) && list.length > 0) suggestions.set(line.id, list.slice(0, options.suggestions));
  }
  return { matches, suggestions };
}
