import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMetadata } from '@uah/schemas';
import { createCore, type Core } from '../core.js';
import { createDatabase, type Database } from '../db/database.js';
import { createMemoryBus } from '../events/memory-bus.js';

/** The embedded PostgreSQL (PGlite, the hub's default, one connection) runs the projects flows: no query escapes its transaction. */
describe('projects on the embedded PostgreSQL', () => {
  let dir: string;
  let db: Database;
  let core: Core;
  const meta: EventMetadata = { source: 'SYSTEM' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uah-pglite-'));
    db = await createDatabase({ dataDir: dir });
    await db.migrate();
    const logger = pino({ level: 'silent' });
    core = createCore({ knex: db.knex, bus: createMemoryBus({ logger }), logger, adminToken: { verify: async () => false } });
  });
  afterAll(async () => {
    await core.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records, submits, invoices and pays time, and bills and completes a milestone', async () => {
    const s = core.services;
    const { projects, milestones, time, timeInvoicing, payroll } = s.projects;
    const org = (await s.organizations.create({ name: 'Embedded', baseCurrency: 'EUR' })).id;
    const customer = await s.customers.create(org, { businessName: 'Client', currency: 'EUR' }, meta);
    const project = await projects.create(org, { customerId: customer.id, name: 'Build' }, meta);
    await projects.transition(org, project.id, 'start', meta);
    const entry = await time.createEntry(org, { projectId: project.id, personId: 'ann', date: '2026-03-02', minutes: 90, rate: 8_000 }, meta);
    await time.submit(org, entry.timesheetId, meta);
    await expect(time.createEntry(org, { projectId: project.id, personId: 'ann', date: '2026-03-03', minutes: 10, rate: 1 }, meta)).rejects.toMatchObject({ code: 'TIMESHEET_LOCKED' });
    const invoice = await timeInvoicing.invoiceTime(org, project.id, { issueDate: '2026-03-06' }, meta);
    expect(invoice).toMatchObject({ total: 12_000, currency: 'EUR' });
    const run = await payroll.create(org, { periodStart: '2026-03-01', periodEnd: '2026-03-31', rates: [{ personId: 'ann', hourlyRate: 3_000 }], withholdings: [{ name: 'Tax', basisPoints: 1_000 }] }, meta);
    expect(run).toMatchObject({ grossPay: 4_500, totalWithholdings: 450, netPay: 4_050 });
    const ms = await milestones.create(org, project.id, { name: 'Phase 1', amount: 50_000 }, meta);
    await milestones.invoice(org, ms.id, { amount: 20_000, issueDate: '2026-03-10' }, meta);
    expect((await s.ledger.accountByKey(org, 'deferred_revenue')).balance).toBe(-20_000);
    const done = await milestones.complete(org, ms.id, { date: '2026-03-31', invoice: { issueDate: '2026-03-31' } }, meta);
    expect(done).toMatchObject({ status: 'COMPLETED', amountBilled: 50_000, amountRecognized: 50_000 });
    const balances = await s.ledger.accountBalances(org, {});
    const of = (key: string) => balances.find((b) => b.account.systemKey === key)?.balance;
    expect([of('deferred_revenue'), of('service_revenue'), of('wages_expense'), of('receivables')]).toEqual([0, -62_000, 4_500, 62_000]);
    expect(balances.reduce((sum, b) => sum + b.balance, 0)).toBe(0);
  });
});
