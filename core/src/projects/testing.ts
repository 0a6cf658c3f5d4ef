import { expect } from 'vitest';
import type { TestHub } from '../testing/harness.js';
import { accountIds, setupSales, type SalesFixture } from '../sales/testing.js';

/** Test helpers of the projects context (used by its tests only). */

export interface ProjectsFixture extends SalesFixture {
  /** System accounts by key. */
  acc: Record<string, string>;
  post(path: string, body?: unknown, status?: number): Promise<Record<string, unknown> & { id: string }>;
  /** A project of the fixture's customer, STARTED unless told otherwise. */
  project(options?: { start?: boolean; currency?: string }): Promise<string>;
}

export async function setupProjects(hub: TestHub, name = 'Studio Ltd', currency = 'USD'): Promise<ProjectsFixture> {
  const sales = await setupSales(hub, name, currency);
  const acc = await accountIds(hub, sales.org.id, sales.org.apiKey);
  const post = async (path: string, body?: unknown, status = 201) => {
    const res = await hub.request('POST', sales.path(path), { token: sales.org.apiKey, ...(body !== undefined ? { body } : {}) });
    expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(status);
    return res.body as Record<string, unknown> & { id: string };
  };
  const project = async (options: { start?: boolean; currency?: string } = {}) => {
    const p = await post('/projects', { customerId: sales.customerId, name: 'Website', budget: 1_000_000, ...(options.currency ? { currency: options.currency } : {}) });
    if (options.start ?? true) await post(`/projects/${p.id}/start`, undefined, 200);
    return p.id;
  };
  return { ...sales, acc, post, project };
}

/** Row counts of every table a projects request may write, to prove a refused request wrote nothing. */
export async function projectWriteCounts(hub: TestHub): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['projects', 'milestones', 'time_entries', 'timesheets', 'payroll_runs', 'invoices', 'journal_entries', 'journal_lines', 'events']) {
    const row = await hub.db.knex(table).count<Array<{ n: number | string }>>({ n: '*' }).first();
    out[table] = Number(row?.n ?? 0);
  }
  out['billed'] = Number((await hub.db.knex('time_entries').whereNotNull('invoice_id').count<Array<{ n: number | string }>>({ n: '*' }).first())?.n ?? 0);
  out['paid'] = Number((await hub.db.knex('timesheets').whereNotNull('payroll_run_id').count<Array<{ n: number | string }>>({ n: '*' }).first())?.n ?? 0);
  out['submitted'] = Number((await hub.db.knex('timesheets').where('status', 'SUBMITTED').count<Array<{ n: number | string }>>({ n: '*' }).first())?.n ?? 0);
  return out;
}

/** Balance (debit minus credit, base currency) of one system account, from the postings. */
export async function balanceOf(hub: TestHub, orgId: string, key: string): Promise<number> {
  const balances = await hub.core.services.ledger.accountBalances(orgId, {});
  return balances.find((b) => b.account.systemKey === key)?.balance ?? 0;
}

/** The trial balance of every organization in the hub sums to zero (run after each test). */
export async function expectBooksBalanced(hub: TestHub): Promise<void> {
  const orgs = await hub.db.knex<{ id: string }>('organizations').select('id');
  for (const { id } of orgs) {
    const trial = await hub.core.services.reports.trialBalance(id, { asOf: '2999-12-31' });
    expect(trial.balanced, `trial balance of ${id}`).toBe(true);
    expect(trial.totals.debit - trial.totals.credit).toBe(0);
  }
}
