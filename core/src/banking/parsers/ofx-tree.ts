import { unreadable } from './problems.js';

/** An OFX element: an aggregate with children, or a leaf with a value. */
export interface OfxNode {
  name: string;
  value: string | null;
  children: OfxNode[];
}

/**
 * Aggregates of the banking and credit-card statement messages. In OFX 1.x SGML only leaves may omit their
 * end tag, so an element known here stays open until its end tag; any other element is a leaf, closed by
 * the next tag when its end tag is missing. That reads SGML, XML and the mixtures real exports contain
 * (an OFX 2 header over an SGML body) alike.
 */
const AGGREGATES = new Set([
  'OFX', 'SIGNONMSGSRSV1', 'SONRS', 'STATUS', 'FI', 'BANKMSGSRSV1', 'STMTTRNRS', 'STMTRS', 'BANKACCTFROM', 'BANKACCTTO',
  'BANKTRANLIST', 'STMTTRN', 'LEDGERBAL', 'AVAILBAL', 'BALLIST', 'BAL', 'CREDITCARDMSGSRSV1', 'CCSTMTTRNRS', 'CCSTMTRS',
  'CCACCTFROM', 'CCACCTTO', 'PAYEE', 'CURRENCY', 'ORIGCURRENCY', 'IMAGEDATA', 'MKTGINFO_AGG',
]);

const MAX_DEPTH = 64;
const MAX_NODES = 1_000_000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The predefined entities and numeric character references; nothing else is expanded. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (all, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[ref.toLowerCase()] ?? all;
  });
}

/** Parses the body of an OFX file (from `<OFX>` on) into a tree; tolerant of missing end tags. */
export function parseOfxTree(body: string): OfxNode {
  const root: OfxNode = { name: '#root', value: null, children: [] };
  const stack: OfxNode[] = [root];
  const top = (): OfxNode => stack[stack.length - 1] ?? root;
  let nodes = 0;
  const token = /<(\/?)([A-Za-z][A-Za-z0-9_.]*)[^>]*>|<!\[CDATA\[([\s\S]*?)\]\]>|<[!?][^>]*>|([^<]+)/g;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    const [, close, rawName, cdata, text] = m;
    if (rawName) {
      const name = rawName.toUpperCase();
      if (close) {
        const at = stack.map((n) => n.name).lastIndexOf(name);
        if (at > 0) stack.length = at;
        continue;
      }
      const current = top();
      if (current !== root && !AGGREGATES.has(current.name)) stack.pop();
      if (++nodes > MAX_NODES || stack.length > MAX_DEPTH) throw unreadable('The OFX file nests or repeats elements beyond any real statement.');
      const node: OfxNode = { name, value: null, children: [] };
      top().children.push(node);
      stack.push(node);
    } else if (cdata !== undefined || text !== undefined) {
      const value = cdata ?? decodeEntities(text ?? '');
      const current = top();
      if (value.trim() === '' || current === root || AGGREGATES.has(current.name)) continue;
      current.value = (current.value ?? '') + value;
    }
  }
  const ofx = root.children.find((n) => n.name === 'OFX');
  if (!ofx) throw unreadable('The file has no <OFX> element.');
  return ofx;
}

/** The first descendant (depth-first) named `name`. */
export function find(node: OfxNode, name: string): OfxNode | undefined {
  for (const child of node.children) {
    if (child.name === name) return child;
    const deeper = find(child, name);
    if (deeper) return deeper;
  }
  return undefined;
}

/** Every descendant named one of `names`, in document order, not looking inside a match. */
export function findAll(node: OfxNode, names: Set<string>, out: OfxNode[] = []): OfxNode[] {
  for (const child of node.children) {
    if (names.has(child.name)) out.push(child);
    else findAll(child, names, out);
  }
  return out;
}

/** The trimmed value of the direct child `name`, or null when absent or empty. */
export function leaf(node: OfxNode | undefined, name: string): string | null {
  const child = node?.children.find((c) => c.name === name);
  const value = child?.value?.trim();
  return value ? value : null;
}
