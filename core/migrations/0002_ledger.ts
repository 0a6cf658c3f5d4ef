import type { Knex } from 'knex';

/**
 * The double-entry ledger: chart of accounts, journal entries and their lines, cached balances and the
 * ledger settings (base currency, lock date). The rules that keep the books right are enforced by the
 * database itself, so that a bug in a service cannot break them:
 * - an entry has two or more lines and balances per currency and in base currency (checked at commit by
 *   a deferred constraint trigger, so the entry and its lines can be written in any order);
 * - lines can only be added by the transaction that created their entry, and neither entries nor lines
 *   can be changed or deleted afterwards (the one change allowed: setting `reversed_by` once);
 * - nothing is posted on or before the organization's lock date;
 * - a line's account belongs to the entry's organization (composite foreign key).
 *
 * Lines store a positive `amount` with a `direction` (DEBIT or CREDIT), in the line's currency, and
 * `base_amount`, the same value in the organization's base currency. Signed sums are debit minus credit.
 */
export async function up(knex: Knex): Promise<void> {
  await createAccounts(knex);
  await createSettings(knex);
  await createChartVersioning(knex);
  await createJournal(knex);
  await createBalances(knex);
  await createRules(knex);
}

async function createAccounts(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('code').notNullable();
    t.text('name').notNullable();
    t.text('type').notNullable();
    t.specificType('currency', 'char(3)');
    t.text('system_key');
    t.boolean('active').notNullable().defaultTo(true);
    t.text('description');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'code']);
    t.unique(['organization_id', 'id']);
  });
  await knex.raw(`
    ALTER TABLE accounts
      ADD CONSTRAINT accounts_type_check CHECK (type IN ('ASSET', 'LIABILITY', 'EQUITY', 'REVENUE', 'EXPENSE')),
      ADD CONSTRAINT accounts_code_check CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$'),
      ADD CONSTRAINT accounts_name_check CHECK (length(name) BETWEEN 1 AND 120),
      ADD CONSTRAINT accounts_system_key_check CHECK (system_key IN ('bank', 'payment_clearing', 'disputed_funds', 'receivables', 'inventory', 'payables',
        'sales_tax_payable', 'customer_credits', 'owners_equity', 'retained_earnings', 'sales_revenue', 'service_revenue',
        'cost_of_goods_sold', 'payment_fees', 'general_expenses', 'fx_gain_loss'))`);
  await knex.raw('CREATE UNIQUE INDEX accounts_system_key_unique ON accounts (organization_id, system_key) WHERE system_key IS NOT NULL');
}

async function createChartVersioning(knex: Knex): Promise<void> {
  await knex.raw('CREATE TRIGGER accounts_chart_version AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION ledger_bump_chart_version()');
}

async function createSettings(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_settings', (t) => {
    t.text('organization_id').primary().references('organizations.id');
    t.specificType('base_currency', 'char(3)').notNullable();
    t.date('lock_date');
    // The per-organization sequence that numbers journal entries (see createEntryNumberSequence).
    t.text('entry_number_sequence').notNullable();
    // Bumped by every change to the organization's accounts and lock date: a posting prepared from a cached
    // chart checks it in its own statement (see writeEntry).
    t.bigInteger('chart_version').notNullable().defaultTo(0);
    t.timestamps(true, true);
  });
  await knex.raw(`
    CREATE FUNCTION ledger_bump_chart_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ledger_settings SET chart_version = chart_version + 1
       WHERE organization_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
      RETURN NULL;
    END $$`);
}

async function createJournal(knex: Knex): Promise<void> {
  // No foreign key from journal_entries to organizations: every insert would take a share lock on the one
  // organization row that all concurrent postings touch. The organization is held by the lines instead
  // (composite key to accounts) and the commit check requires lines and entry to agree on it.
  await knex.raw(`
    CREATE TABLE journal_entries (
      id text PRIMARY KEY,
      organization_id text NOT NULL,
      number bigint NOT NULL,
      date date NOT NULL,
      currency char(3) NOT NULL,
      exchange_rate numeric(24, 12) CHECK (exchange_rate > 0),
      memo text,
      source_type text,
      source_id text,
      reversal_of text REFERENCES journal_entries (id),
      reversed_by text REFERENCES journal_entries (id),
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      UNIQUE (organization_id, number),
      UNIQUE (id, tx_id),
      CONSTRAINT journal_entries_source_check CHECK ((source_type IS NULL) = (source_id IS NULL)),
      CONSTRAINT journal_entries_not_self_reversal CHECK (reversal_of <> id AND reversed_by <> id)
    )`);
  await knex.raw('CREATE UNIQUE INDEX journal_entries_reversal_of_unique ON journal_entries (reversal_of) WHERE reversal_of IS NOT NULL');
  await knex.raw('CREATE INDEX journal_entries_source ON journal_entries (organization_id, source_type, source_id) WHERE source_type IS NOT NULL');

  await knex.raw(`
    CREATE TABLE journal_lines (
      id text PRIMARY KEY,
      organization_id text NOT NULL,
      entry_id text NOT NULL,
      line_no smallint NOT NULL CHECK (line_no >= 1),
      entry_number bigint NOT NULL,
      date date NOT NULL,
      account_id text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('DEBIT', 'CREDIT')),
      amount bigint NOT NULL CHECK (amount > 0),
      currency char(3) NOT NULL,
      base_amount bigint NOT NULL CHECK (base_amount >= 0),
      description text,
      -- The subledger reference: the invoice and customer a receivables (or customer-credit) line belongs to,
      -- so that the AR aging is read from the postings. No foreign key: invoices live in a later migration
      -- and posted lines are immutable anyway; the prefixes keep ids of other kinds out.
      invoice_id text CONSTRAINT journal_lines_invoice_id_check CHECK (invoice_id ~ '^inv_[0-9A-Za-z]+$'),
      customer_id text CONSTRAINT journal_lines_customer_id_check CHECK (customer_id ~ '^cus_[0-9A-Za-z]+$'),
      tx_id xid8 NOT NULL,
      UNIQUE (entry_id, line_no),
      FOREIGN KEY (entry_id, tx_id) REFERENCES journal_entries (id, tx_id),
      FOREIGN KEY (organization_id, account_id) REFERENCES accounts (organization_id, id)
    )`);
  // The account ledger in date order, with what running balances and report sums need (index-only scans).
  await knex.raw(`CREATE INDEX journal_lines_account_ledger ON journal_lines (account_id, date, entry_number, line_no)
    INCLUDE (direction, amount, base_amount, currency)`);
  // An invoice's receivable history (its postings across entries), for the invoice and the AR aging.
  await knex.raw('CREATE INDEX journal_lines_invoice ON journal_lines (organization_id, invoice_id) WHERE invoice_id IS NOT NULL');
}

async function createBalances(knex: Knex): Promise<void> {
  // One row per account: the base-currency balance and the balance in each currency used, kept in the
  // posting statement. `version` counts the account's account.balance_changed events (their version).
  await knex.raw(`
    CREATE TABLE account_balances (
      account_id text PRIMARY KEY,
      organization_id text NOT NULL,
      balance bigint NOT NULL DEFAULT 0,
      currency_balances jsonb NOT NULL DEFAULT '{}',
      version bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (organization_id, account_id) REFERENCES accounts (organization_id, id)
    )`);
  await knex.raw(`
    CREATE FUNCTION ledger_add_balances(current jsonb, delta jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE k text; v text;
    BEGIN
      FOR k, v IN SELECT * FROM jsonb_each_text(delta) LOOP
        current := jsonb_set(current, ARRAY[k], to_jsonb(COALESCE((current ->> k)::bigint, 0) + v::bigint));
      END LOOP;
      RETURN current;
    END $$`);
}

async function createRules(knex: Knex): Promise<void> {
  // One query per entry (plan cached by PL/pgSQL): its lines grouped by currency, and the lock date.
  await knex.raw(`
    CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
    BEGIN
      SELECT COALESCE(sum(g.n), 0) AS n, COALESCE(bool_and(g.consistent), true) AS consistent, COALESCE(sum(g.base_diff), 0) AS base_diff,
             min(g.currency) FILTER (WHERE g.diff <> 0) AS unbalanced,
             (SELECT s.lock_date FROM ledger_settings s WHERE s.organization_id = NEW.organization_id) AS locked
        INTO r
        FROM (SELECT l.currency, count(*) AS n,
                     bool_and(l.date = NEW.date AND l.entry_number = NEW.number AND l.organization_id = NEW.organization_id) AS consistent,
                     sum(CASE WHEN l.direction = 'DEBIT' THEN l.amount ELSE -l.amount END) AS diff,
                     sum(CASE WHEN l.direction = 'DEBIT' THEN l.base_amount ELSE -l.base_amount END) AS base_diff
                FROM journal_lines l WHERE l.entry_id = NEW.id GROUP BY l.currency) g;
      IF r.n < 2 THEN
        RAISE EXCEPTION 'journal entry % has % line(s): an entry needs at least two', NEW.id, r.n
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_min_lines';
      END IF;
      IF NOT r.consistent THEN
        RAISE EXCEPTION 'journal entry %: its lines disagree with it on date, number or organization', NEW.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_line_matches_entry';
      END IF;
      IF r.unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance in %', NEW.id, r.unbalanced
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
      END IF;
      IF r.base_diff <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance in base currency (debits minus credits: %)', NEW.id, r.base_diff
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
      END IF;
      IF r.locked IS NOT NULL AND NEW.date <= r.locked THEN
        RAISE EXCEPTION 'journal entry % is dated %, on or before the lock date %', NEW.id, NEW.date, r.locked
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_period_locked';
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE CONSTRAINT TRIGGER journal_entry_check AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry()`);

  // A line always carries the id of the transaction inserting it: with the (entry_id, tx_id) foreign key,
  // lines can only be added to an entry created in the same transaction.
  await knex.raw(`
    CREATE FUNCTION ledger_line_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.tx_id := pg_current_xact_id();
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER journal_line_stamp BEFORE INSERT ON journal_lines FOR EACH ROW EXECUTE FUNCTION ledger_line_stamp()');

  await knex.raw(`
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'posted journal lines are immutable: post a reversing entry instead'
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'journal_immutable';
    END $$`);
  await knex.raw('CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()');
  await knex.raw('CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()');
  await knex.raw('CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()');

  await knex.raw(`
    CREATE FUNCTION ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE expected journal_entries;
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.reversed_by IS NULL AND NEW.reversed_by IS NOT NULL THEN
        expected := OLD;
        expected.reversed_by := NEW.reversed_by;
        expected.updated_at := NEW.updated_at;
        IF NEW IS NOT DISTINCT FROM expected THEN RETURN NEW; END IF;
      END IF;
      RAISE EXCEPTION 'posted journal entries are immutable (only reversed_by can be set, once): post a reversing entry instead'
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'journal_immutable';
    END $$`);
  await knex.raw('CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries FOR EACH ROW EXECUTE FUNCTION ledger_entry_guard()');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['account_balances', 'journal_lines', 'journal_entries', 'ledger_settings', 'accounts']) {
    await knex.raw('DROP TABLE IF EXISTS ?? CASCADE', [table]);
  }
  for (const fn of ['ledger_bump_chart_version()', 'ledger_add_balances(jsonb, jsonb)', 'ledger_check_entry()', 'ledger_line_stamp()', 'ledger_refuse_change()', 'ledger_entry_guard()']) {
    await knex.raw(`DROP FUNCTION IF EXISTS ${fn}`);
  }
  // The per-organization entry-number sequences.
  const sequences = await knex.raw<{ rows: Array<{ name: string }> }>(`SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema() AND sequencename LIKE 'journal\\_entry\\_number\\_%'`);
  for (const { name } of sequences.rows) await knex.raw('DROP SEQUENCE IF EXISTS ??', [name]);
}
