import type { Knex } from 'knex';
import { newId } from '../src/shared/ids.js';

/** The system accounts projects and payroll post to; the default chart (ledger/chart.ts) holds the same. */
export const PROJECT_ACCOUNTS = [
  { key: 'wages_payable', code: '2250', name: 'Wages payable', type: 'LIABILITY', description: 'Net pay owed to people after a payroll run.' },
  { key: 'withholdings_payable', code: '2260', name: 'Payroll withholdings payable', type: 'LIABILITY', description: 'Amounts withheld from pay, owed to the authorities or funds they are withheld for.' },
  { key: 'deferred_revenue', code: '2400', name: 'Deferred revenue', type: 'LIABILITY', description: 'Milestones billed and not yet completed: revenue recognised when the milestone is completed.' },
  { key: 'wages_expense', code: '6200', name: 'Wages expense', type: 'EXPENSE', description: 'Gross pay of payroll runs.' },
] as const;

const list = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/**
 * Projects, milestones, time entries, timesheets and payroll runs. The marks that say "this already
 * happened" are columns the database keeps once set: a time entry's invoice (billed once), a timesheet's
 * payroll run (paid once) and its submission (no entry joins a submitted week).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE UNIQUE INDEX IF NOT EXISTS customers_organization_id_id_unique ON customers (organization_id, id)');
  await extendSystemKeys(knex);
  await createProjects(knex);
  await createTime(knex);
  await createPayroll(knex);
  await createMarksOnce(knex);
}

/**
 * Adds the projects' keys to whatever the system-key check allows when this runs (other contexts may have
 * added theirs), and gives every existing organization the new accounts.
 */
export async function extendSystemKeys(knex: Knex): Promise<void> {
  const row = (await knex.raw<{ rows: Array<{ def: string }> }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'accounts_system_key_check'")).rows[0];
  const existing = row ? [...row.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] ?? '') : [];
  const keys = [...new Set([...existing, ...PROJECT_ACCOUNTS.map((a) => a.key)])];
  await knex.raw('ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_system_key_check');
  await knex.raw(`ALTER TABLE accounts ADD CONSTRAINT accounts_system_key_check CHECK (system_key IN (${list(keys)}))`);
  const missing = await knex.raw<{ rows: Array<{ organization_id: string; key: string; code_taken: boolean }> }>(
    `SELECT ls.organization_id, k.key, EXISTS (SELECT 1 FROM accounts c WHERE c.organization_id = ls.organization_id AND c.code = k.code) AS code_taken
     FROM ledger_settings ls CROSS JOIN (VALUES ${PROJECT_ACCOUNTS.map(() => '(?, ?)').join(', ')}) AS k (key, code)
     WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.organization_id = ls.organization_id AND a.system_key = k.key)`,
    PROJECT_ACCOUNTS.flatMap((a) => [a.key, a.code]),
  );
  for (const row of missing.rows) {
    const account = PROJECT_ACCOUNTS.find((a) => a.key === row.key);
    if (!account) continue;
    await knex.raw('INSERT INTO accounts (id, organization_id, code, name, type, system_key, description) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      newId('acc'), row.organization_id, row.code_taken ? `${account.code}-P` : account.code, account.name, account.type, account.key, account.description,
    ]);
  }
}

async function createProjects(knex: Knex): Promise<void> {
  await knex.schema.createTable('projects', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('customer_id').notNullable();
    t.text('name').notNullable();
    t.text('description');
    t.text('status').notNullable().defaultTo('CREATED');
    t.specificType('currency', 'char(3)').notNullable();
    t.bigInteger('budget');
    t.date('start_date');
    t.date('end_date');
    for (const c of ['started_at', 'paused_at', 'completed_at', 'cancelled_at']) t.timestamp(c, { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.foreign(['organization_id', 'customer_id']).references(['organization_id', 'id']).inTable('customers');
    t.index(['organization_id', 'customer_id']);
  });
  await knex.raw(`ALTER TABLE projects ADD CONSTRAINT projects_rules CHECK (status IN ('CREATED', 'STARTED', 'PAUSED', 'COMPLETED', 'CANCELLED')
    AND (budget IS NULL OR budget >= 0) AND (end_date IS NULL OR start_date IS NULL OR end_date >= start_date))`);

  await knex.schema.createTable('milestones', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('project_id').notNullable();
    t.text('name').notNullable();
    t.bigInteger('amount').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.date('due_date');
    t.text('status').notNullable().defaultTo('PENDING');
    t.date('completed_on');
    t.bigInteger('amount_billed').notNullable().defaultTo(0);
    t.bigInteger('amount_recognized').notNullable().defaultTo(0);
    t.jsonb('invoices').notNullable().defaultTo('[]');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.foreign(['organization_id', 'project_id']).references(['organization_id', 'id']).inTable('projects');
    t.index(['organization_id', 'project_id']);
  });
  // Deferred revenue per milestone is amount_billed − amount_recognized: never negative, and nothing is
  // left deferred on a completed milestone.
  await knex.raw(`ALTER TABLE milestones ADD CONSTRAINT milestones_rules CHECK (status IN ('PENDING', 'COMPLETED')
    AND amount >= 0 AND amount_recognized >= 0 AND amount_recognized <= amount_billed AND amount_billed <= amount
    AND (status = 'COMPLETED') = (completed_on IS NOT NULL)
    AND (status = 'COMPLETED' OR amount_recognized = 0)
    AND (status = 'PENDING' OR amount_recognized = amount_billed)
    AND jsonb_typeof(invoices) = 'array')`);
}

async function createTime(knex: Knex): Promise<void> {
  await knex.schema.createTable('timesheets', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('person_id').notNullable();
    t.text('week').notNullable();
    t.date('week_start').notNullable();
    t.date('week_end').notNullable();
    t.text('status').notNullable().defaultTo('OPEN');
    t.integer('total_minutes').notNullable().defaultTo(0);
    t.integer('billable_minutes').notNullable().defaultTo(0);
    t.timestamp('submitted_at', { useTz: true });
    t.text('payroll_run_id');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['organization_id', 'person_id', 'week']);
    t.index(['organization_id', 'status', 'week_end']);
  });
  await knex.raw(`ALTER TABLE timesheets ADD CONSTRAINT timesheets_rules CHECK (status IN ('OPEN', 'SUBMITTED')
    AND (status = 'SUBMITTED') = (submitted_at IS NOT NULL) AND (payroll_run_id IS NULL OR status = 'SUBMITTED')
    AND week_end = week_start + 6 AND total_minutes >= 0 AND billable_minutes >= 0 AND billable_minutes <= total_minutes)`);

  await knex.schema.createTable('time_entries', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('project_id').notNullable();
    t.text('timesheet_id').notNullable();
    t.text('person_id').notNullable();
    t.date('date').notNullable();
    t.integer('minutes').notNullable();
    t.boolean('billable').notNullable();
    t.bigInteger('rate').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('description');
    t.text('invoice_id');
    t.timestamp('billed_at', { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.foreign(['organization_id', 'project_id']).references(['organization_id', 'id']).inTable('projects');
    t.foreign(['organization_id', 'timesheet_id']).references(['organization_id', 'id']).inTable('timesheets');
    t.foreign(['organization_id', 'invoice_id']).references(['organization_id', 'id']).inTable('invoices');
    t.index(['organization_id', 'project_id', 'date']);
    t.index(['organization_id', 'timesheet_id']);
  });
  await knex.raw(`ALTER TABLE time_entries ADD CONSTRAINT time_entries_rules CHECK (minutes BETWEEN 1 AND 1440 AND rate >= 0 AND amount >= 0
    AND (invoice_id IS NULL OR billable) AND (invoice_id IS NULL) = (billed_at IS NULL))`);
  await knex.raw('CREATE INDEX time_entries_unbilled ON time_entries (organization_id, project_id, date) WHERE billable AND invoice_id IS NULL');
}

async function createPayroll(knex: Knex): Promise<void> {
  await knex.schema.createTable('payroll_runs', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.date('period_start').notNullable();
    t.date('period_end').notNullable();
    t.date('pay_date').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('pay_from').notNullable();
    t.jsonb('withholdings').notNullable();
    t.jsonb('people').notNullable();
    t.bigInteger('gross_pay').notNullable();
    t.bigInteger('total_withholdings').notNullable();
    t.bigInteger('net_pay').notNullable();
    t.text('journal_entry_id').references('journal_entries.id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
  });
  await knex.raw(`ALTER TABLE payroll_runs ADD CONSTRAINT payroll_runs_rules CHECK (pay_from IN ('wages_payable', 'bank') AND period_end >= period_start
    AND gross_pay >= 0 AND total_withholdings >= 0 AND net_pay >= 0 AND gross_pay = total_withholdings + net_pay)`);
  await knex.raw('ALTER TABLE timesheets ADD CONSTRAINT timesheets_payroll_run_fk FOREIGN KEY (organization_id, payroll_run_id) REFERENCES payroll_runs (organization_id, id)');
}

/** Billed once, submitted once, paid once: the marks never change after they are set. */
async function createMarksOnce(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION time_entries_billed_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.invoice_id IS NOT NULL AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
        RAISE EXCEPTION 'time entry % is billed on invoice % already', OLD.id, OLD.invoice_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER time_entries_billed_once BEFORE UPDATE ON time_entries FOR EACH ROW EXECUTE FUNCTION time_entries_billed_once()');
  await knex.raw(`
    CREATE FUNCTION timesheets_locked_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'SUBMITTED' AND (NEW.status <> 'SUBMITTED' OR NEW.total_minutes <> OLD.total_minutes) THEN
        RAISE EXCEPTION 'timesheet % is submitted', OLD.id USING ERRCODE = 'check_violation';
      END IF;
      IF OLD.payroll_run_id IS NOT NULL AND NEW.payroll_run_id IS DISTINCT FROM OLD.payroll_run_id THEN
        RAISE EXCEPTION 'timesheet % is paid by payroll run % already', OLD.id, OLD.payroll_run_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER timesheets_locked_once BEFORE UPDATE ON timesheets FOR EACH ROW EXECUTE FUNCTION timesheets_locked_once()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE timesheets DROP CONSTRAINT IF EXISTS timesheets_payroll_run_fk');
  for (const table of ['time_entries', 'timesheets', 'payroll_runs', 'milestones', 'projects']) await knex.schema.dropTableIfExists(table);
  await knex.raw('DROP FUNCTION IF EXISTS time_entries_billed_once()');
  await knex.raw('DROP FUNCTION IF EXISTS timesheets_locked_once()');
  await knex('accounts').whereIn('system_key', PROJECT_ACCOUNTS.map((a) => a.key)).update({ system_key: null });
}
