/**
 * Reconciliation matching benchmark: L bank lines against I open items (default 100,000 each), a synthetic
 * set whose truth is known, through the same matcher the reconciliation run uses. Prints the time to index
 * and match, and the share of lines matched to their true item, matched wrongly, and left for review.
 *
 *   npm run bench:reconcile
 *   BENCH_LINES=200000 BENCH_ITEMS=200000 BENCH_SEED=7 BENCH_THRESHOLDS=0.9,0.8,0.7 npm run bench:reconcile
 *
 * The set (deterministic for a seed): items are open invoices of 2,000 customers whose amounts come from a
 * pool of 3,000 prices (so equal amounts are common), due over one year. 80% of the lines pay one item:
 * on a day from 3 before to 10 after its date, the invoice number in the text 60% of the time (one in
 * twenty of those with a digit mistyped), the customer's name 70% of the time, 4% of them paying a part
 * only. 5% of the items come as near-duplicate pairs (same customer, amount and day, no reference in the
 * bank line). The remaining lines are noise with no true item (fees, card purchases, transfers).
 */
import { performance } from 'node:perf_hooks';
import { matchLines, type BankLine, type OpenItem } from '@uah/core';

const LINES = Number(process.env['BENCH_LINES'] ?? 100_000);
const ITEMS = Number(process.env['BENCH_ITEMS'] ?? 100_000);
const SEED = Number(process.env['BENCH_SEED'] ?? 42);
const THRESHOLDS = (process.env['BENCH_THRESHOLDS'] ?? '0.8,0.7').split(',').map(Number);
const print = (line: string): void => void process.stdout.write(`${line}\n`);

/** mulberry32: a small deterministic generator, so every run sees the same set. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = random(SEED);
const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)] as T;
const day = (n: number): string => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
const WORDS = ['NORTH', 'RIVER', 'STONE', 'MAPLE', 'ATLAS', 'CEDAR', 'HARBOR', 'SUMMIT', 'LINDEN', 'ORBIT', 'QUARTZ', 'BRIGHT', 'SILVER', 'PRAIRIE'];
const customers = Array.from({ length: 2000 }, (_, i) => `${pick(WORDS)} ${pick(WORDS)} ${['LTD', 'GMBH', 'INC', 'SARL'][i % 4] as string}`);
const prices = Array.from({ length: 3000 }, () => 500 + Math.floor(rnd() * 500_000));

function buildSet(): { items: OpenItem[]; lines: BankLine[]; truth: Map<string, string> } {
  const items: OpenItem[] = [];
  for (let i = 0; i < ITEMS; i++) {
    const twin = i % 20 === 1 && items.length > 0;
    const previous = items[items.length - 1] as OpenItem;
    const party = twin ? (previous.party as string) : pick(customers);
    const amount = twin ? previous.amount : pick(prices);
    const date = twin ? previous.date : day(Math.floor(rnd() * 365));
    items.push({ kind: 'INVOICE', id: `inv_${i}`, direction: 'CREDIT', amount, currency: 'EUR', date, references: [`INV-${String(100000 + i)}`], party, label: '' });
  }
  const truth = new Map<string, string>();
  const lines: BankLine[] = [];
  const paying = Math.min(Math.floor(LINES * 0.8), ITEMS);
  const order = items.map((_, i) => i).sort(() => rnd() - 0.5).slice(0, paying);
  for (const index of order) {
    const item = items[index] as OpenItem;
    const twin = index % 20 === 1 || index % 20 === 0;
    const parts: string[] = ['SEPA CREDIT'];
    if (!twin && rnd() < 0.6) {
      const ref = item.references[0] as string;
      parts.push(rnd() < 0.05 ? ref.slice(0, -1) + String((Number(ref.slice(-1)) + 1) % 10) : ref);
    }
    if (rnd() < 0.7) parts.push(item.party as string);
    const partial = rnd() < 0.04;
    const id = `btx_${lines.length}`;
    lines.push({ id, amount: partial ? Math.max(1, Math.floor(item.amount / 2)) : item.amount, currency: 'EUR', date: day(Math.floor((Date.parse(item.date) - Date.UTC(2026, 0, 1)) / 86_400_000) - 3 + Math.floor(rnd() * 14)), text: parts.join(' ') });
    truth.set(id, item.id);
  }
  while (lines.length < LINES) {
    const debit = rnd() < 0.7;
    lines.push({ id: `btx_${lines.length}`, amount: (debit ? -1 : 1) * (100 + Math.floor(rnd() * 200_000)), currency: 'EUR', date: day(Math.floor(rnd() * 365)), text: `${pick(['CARD', 'FEE', 'TRANSFER', 'ATM'])} ${pick(WORDS)} ${Math.floor(rnd() * 1e6)}` });
  }
  return { items, lines, truth };
}

function report(lines: BankLine[], items: OpenItem[], truth: Map<string, string>, threshold: number): void {
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = matchLines(lines, items, { threshold });
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  let correct = 0;
  let wrong = 0;
  for (const m of result.matches) {
    if (truth.get(m.line.id) === m.item.id) correct += 1;
    else wrong += 1;
  }
  const review = lines.length - result.matches.length;
  const matchedIds = new Set(result.matches.map((m) => m.line.id));
  const truthLeft = [...truth.keys()].filter((id) => !matchedIds.has(id)).length;
  const truthTopSuggested = [...truth.entries()].filter(([id, item]) => !matchedIds.has(id) && result.suggestions.get(id)?.[0]?.item.id === item).length;
  const pct = (n: number): string => ((100 * n) / lines.length).toFixed(2);
  print(`threshold=${threshold} match_s=${((t1 - t0) / 1000).toFixed(3)} cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(3)} heap_delta_mb=${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(0)}`);
  print(`  matched_correctly=${correct} (${pct(correct)}%) matched_wrongly=${wrong} (${pct(wrong)}%) left_for_review=${review} (${pct(review)}%)`);
  print(`  review_with_a_true_item=${truthLeft} of_which_true_item_is_top_suggestion=${truthTopSuggested} review_noise=${review - truthLeft}`);
  print(`  precision=${(correct / Math.max(1, correct + wrong)).toFixed(4)} recall=${(correct / truth.size).toFixed(4)}`);
}

function main(): void {
  const started = performance.now();
  const { items, lines, truth } = buildSet();
  print(`lines=${lines.length} items=${items.length} seed=${SEED} lines_with_a_true_item=${truth.size} set_build_s=${((performance.now() - started) / 1000).toFixed(2)}`);
  for (const threshold of THRESHOLDS) report(lines, items, truth, threshold);
}

main();
