import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium: the tests download no browser. `.ci/run` installs it when missing. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Where the run leaves a screenshot of each page for review (git-ignored). */
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'dashboard');

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The page's globals that evaluated functions use (these files compile against Node's types, without the
 * DOM library): `const g = globalThis as unknown as PageGlobals` inside `page.evaluate`.
 */
export interface PageGlobals {
  document: { activeElement: unknown; cookie: string; documentElement: { scrollWidth: number }; querySelectorAll(selector: string): Iterable<PageElement> };
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
}

/** What the tests read of an element in the page. */
export interface PageElement {
  tagName: string;
  className: string;
  textContent: string | null;
  closest(selector: string): unknown;
  getBoundingClientRect(): { right: number };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/**
 * Runs axe-core in the page (evaluated through the debugging protocol, so the page's Content-Security-Policy,
 * which allows no injected script, stays on) and returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, ...(n.failureSummary ? { failureSummary: n.failureSummary } : {}) })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
